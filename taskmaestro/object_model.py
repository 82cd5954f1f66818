"""``ObjectModel[T]``: a model that carries an arbitrary object (taskmaestro 0.1.0's module)."""

from .models import ObjectModel

__all__ = ["ObjectModel"]
