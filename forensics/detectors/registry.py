"""Detector registry: built-in modules and third-party entry points, one name each.

Third-party packages register detectors through the entry-point group
``forensics.detectors`` (each entry point names a Detector subclass).
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from forensics.detectors.base import Detector
from forensics.errors import ForensicsError

ENTRY_POINT_GROUP = "forensics.detectors"

# Modules of the detectors that ship with the suite; each registers itself on import.
BUILTIN_MODULES: tuple[str, ...] = (
    "forensics.detectors.metadata",
    "forensics.detectors.frequency",
    "forensics.detectors.blink",
    "forensics.detectors.cnn",
)

_registry: dict[str, type[Detector]] = {}
_loaded = False


class RegistryError(ForensicsError):
    """A detector name is registered twice, or an unknown name was asked for."""


def register(cls: type[Detector]) -> type[Detector]:
    """Class decorator: add a detector under its name; a duplicate name is an error."""
    existing = _registry.get(cls.name)
    if existing is not None and existing is not cls:
        raise RegistryError(
            f"detector name {cls.name!r} is already registered by "
            f"{existing.__module__}.{existing.__qualname__}"
        )
    _registry[cls.name] = cls
    return cls


def unregister(name: str) -> None:
    """Remove a detector (tests use this to clean up)."""
    _registry.pop(name, None)


def load_all() -> None:
    """Import the built-in detector modules and the entry-point plug-ins, once."""
    global _loaded
    if _loaded:
        return
    for module in BUILTIN_MODULES:
        importlib.import_module(module)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        register(ep.load())
    _loaded = True


def available() -> dict[str, type[Detector]]:
    """All registered detectors by name, sorted."""
    load_all()
    return dict(sorted(_registry.items()))


def get_detector(name: str) -> type[Detector]:
    load_all()
    try:
        return _registry[name]
    except KeyError:
        known = ", ".join(sorted(_registry)) or "none"
        raise RegistryError(f"no detector named {name!r} (known: {known})") from None
