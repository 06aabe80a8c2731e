"""Method registry: built-in modules and third-party entry points, one name each.

Third-party packages register methods through the entry-point group
``forensics.detectors`` (each entry point names a Detector or Combiner subclass that
declares the ``interface_version`` it implements). Importing the registry loads no
heavy library: detector modules import torch, PyAV or MediaPipe only when they run.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any

from forensics.detectors.base import INTERFACE_VERSION, Combiner, Detector, Method
from forensics.errors import ForensicsError

ENTRY_POINT_GROUP = "forensics.detectors"

# Modules of the methods that ship with the suite; each registers itself on import.
BUILTIN_MODULES: tuple[str, ...] = (
    "forensics.detectors.metadata",
    "forensics.detectors.frequency",
    "forensics.detectors.blink",
    "forensics.detectors.cnn",
    "forensics.detectors.faceforgery",
    "forensics.detectors.synthetic",
    "forensics.detectors.structure",
    "forensics.detectors.fusion",
)

AnyMethod = type[Method[Any]]

_registry: dict[str, AnyMethod] = {}
_loaded = False


class RegistryError(ForensicsError):
    """A method name is registered twice, an unknown name was asked for, or a plug-in
    implements another interface version."""


def register(cls: type[Any]) -> type[Any]:
    """Class decorator: add a method under its name; a duplicate name is an error."""
    if not (isinstance(cls, type) and issubclass(cls, (Detector, Combiner))):
        raise RegistryError(f"{cls!r} is neither a Detector nor a Combiner")
    if cls.interface_version != INTERFACE_VERSION:
        raise RegistryError(
            f"{cls.__module__}.{cls.__qualname__} implements method interface "
            f"{cls.interface_version}; this installation runs interface {INTERFACE_VERSION}"
        )
    existing = _registry.get(cls.name)
    if existing is not None and existing is not cls:
        raise RegistryError(
            f"detector name {cls.name!r} is already registered by "
            f"{existing.__module__}.{existing.__qualname__}"
        )
    _registry[cls.name] = cls
    return cls


def unregister(name: str) -> None:
    """Remove a method (tests use this to clean up)."""
    _registry.pop(name, None)


def load_all() -> None:
    """Import the built-in method modules and the entry-point plug-ins, once."""
    global _loaded
    if _loaded:
        return
    for module in BUILTIN_MODULES:
        importlib.import_module(module)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        register(ep.load())
    _loaded = True


def available() -> dict[str, AnyMethod]:
    """All registered methods by name, sorted."""
    load_all()
    return dict(sorted(_registry.items()))


def detectors() -> dict[str, type[Detector[Any]]]:
    """The registered methods that read evidence files, by name."""
    return {name: cls for name, cls in available().items() if issubclass(cls, Detector)}


def combiners() -> dict[str, type[Combiner[Any]]]:
    """The registered methods that combine other methods' findings, by name."""
    return {name: cls for name, cls in available().items() if issubclass(cls, Combiner)}


def get_method(name: str) -> AnyMethod:
    load_all()
    try:
        return _registry[name]
    except KeyError:
        known = ", ".join(sorted(_registry)) or "none"
        raise RegistryError(f"no detector named {name!r} (known: {known})") from None


def get_detector(name: str) -> type[Detector[Any]]:
    """A method that reads evidence files; a combiner's name is refused with the reason."""
    cls = get_method(name)
    if not issubclass(cls, Detector):
        raise RegistryError(f"{name!r} combines other methods' findings; it reads no file")
    return cls
