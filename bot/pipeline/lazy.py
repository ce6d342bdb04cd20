"""Modules imported when first used, so that importing the pipeline's types (what the bot's own
process needs: `Screening`, `ImageRejected`, ...) does not start JAX, Flax and OpenCV there:
about 230 MB and several seconds of a start that only the inference process needs.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from types import ModuleType

_LOCK = threading.Lock()


def module(name: str) -> ModuleType:
    """`name`, imported on its first attribute access (importlib's LazyLoader)."""
    with _LOCK:
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            raise ModuleNotFoundError(name)
        spec.loader = importlib.util.LazyLoader(spec.loader)
        lazy = importlib.util.module_from_spec(spec)
        sys.modules[name] = lazy
        spec.loader.exec_module(lazy)
        parent, _, child = name.rpartition(".")
        if parent:  # as an import would: `model.segment` is an attribute of `model`
            setattr(sys.modules[parent], child, lazy)
        return lazy


def load(*modules: ModuleType) -> None:
    """Import these now, one thread at a time (Python 3.11's lazy modules must not be first
    touched by two threads at once: the bot's inference threads each build a Screener)."""
    with _LOCK:
        for m in modules:
            getattr(m, "__name__")  # noqa: B009 - the first access runs the module
