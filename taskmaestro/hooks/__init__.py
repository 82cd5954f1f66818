"""Lifecycle hooks: the base class, the protocol and the built-ins."""

from .base import BaseHook, Event, Hook, HookWarning
from .logging import LoggingHook
from .persistence import ResultPersistenceHook
from .progress import ProgressHook
from .record import RunRecordHook
from .timing import TimingHook

__all__ = [
    "BaseHook",
    "Event",
    "Hook",
    "HookWarning",
    "LoggingHook",
    "ProgressHook",
    "ResultPersistenceHook",
    "RunRecordHook",
    "TimingHook",
]
