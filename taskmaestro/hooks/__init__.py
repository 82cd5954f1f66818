"""Lifecycle hooks: the base class, the protocol and the built-ins."""

from .base import BaseHook, Hook, HookWarning
from .logging import LoggingHook
from .persistence import ResultPersistenceHook
from .timing import TimingHook

__all__ = ["BaseHook", "Hook", "HookWarning", "LoggingHook", "ResultPersistenceHook", "TimingHook"]
