"""One per-call cost of instructor, removed: its async-validator check, remembered per model.

instructor 1.17 walks the whole response model (every field's annotation, every class in
every MRO) to refuse instructor's own ``@async_field_validator`` markers, and it does so
about seven times per call: in ``create``, in the patched ``create``, twice in
``prepare_response_model``, in the retry loop and in the parsers. For our nested summary
model that is ~0.35 ms a walk, ~2.4 ms of a call's ~5 ms of CPU.

The answer depends only on the class, so :func:`memoize_async_validator_check` wraps
instructor's function with one that remembers the classes that passed (weakly: a class
that is garbage-collected is forgotten). Anything else (``list[Model]``, a union, a
class that fails) goes to instructor's own check every time, so what it refuses is
refused exactly as before; a test checks both. Installed once, on the first client; if a
later instructor moves the function, nothing is patched and calls are only slower.
"""

from __future__ import annotations

import importlib
import weakref
from collections.abc import Callable
from typing import Any

_MARK = "__summarizer_memoized__"
# modules that bind the function at import time (the rest import it inside functions)
_BOUND_IN = ("instructor.v2.core.patch",)


def memoize_async_validator_check() -> bool:
    """Install the memoized check; True when it is (or already was) in place."""
    try:
        checks = importlib.import_module("instructor.v2.validation.async_validators")
    except ImportError:
        return False
    original = getattr(checks, "reject_async_validators", None)
    if original is None:
        return False
    if getattr(original, _MARK, False):
        return True
    memoized = memoized_check(original)
    setattr(checks, "reject_async_validators", memoized)  # noqa: B010 (a module's name)
    for name in _BOUND_IN:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if getattr(module, "reject_async_validators", None) is original:
            setattr(module, "reject_async_validators", memoized)  # noqa: B010
    return True


def memoized_check(original: Callable[[Any], None]) -> Callable[[Any], None]:
    """``original`` (instructor's check), remembering the classes that passed it."""
    passed: weakref.WeakSet[type] = weakref.WeakSet()

    def reject_async_validators(response_model: Any) -> None:
        if isinstance(response_model, type):
            if response_model in passed:
                return
            original(response_model)  # raises for a model with async validators
            passed.add(response_model)
            return
        original(response_model)

    setattr(reject_async_validators, _MARK, True)
    reject_async_validators.__wrapped__ = original  # type: ignore[attr-defined]
    reject_async_validators.__doc__ = original.__doc__
    return reject_async_validators
