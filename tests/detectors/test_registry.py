"""Method registry: every built-in method registers and owns its report text; duplicate
names and plug-ins of another interface version are refused."""

import importlib
from importlib.metadata import EntryPoint

import pytest

from forensics.detectors import base, registry


def test_every_builtin_module_registers_a_detector():
    detectors = registry.available()
    for module_name in registry.BUILTIN_MODULES:
        module = importlib.import_module(module_name)
        registered = [cls for cls in detectors.values() if cls.__module__ == module.__name__]
        assert registered, f"{module_name} registers no detector"
    for name, cls in detectors.items():
        assert cls.name == name
        major, minor, patch = cls.version.split(".")
        assert all(part.isdigit() for part in (major, minor, patch)), cls.version
        # the report quotes these: every shipped method describes itself and its blind spots
        assert cls.description and cls.limitations, f"{name} lacks its description or limitations"
        if issubclass(cls, base.Detector):
            assert cls.inputs and cls.inputs <= {"image", "video"}
        else:
            assert issubclass(cls, base.Combiner) and not cls.inputs


def test_the_fusion_is_a_registered_combiner_not_a_file_reader():
    assert "fusion" in registry.combiners() and "fusion" not in registry.detectors()
    with pytest.raises(registry.RegistryError, match="reads no file"):
        registry.get_detector("fusion")


def test_a_plugin_of_another_interface_version_is_refused():
    class Old(base.Detector):
        name, version, inputs = "old-test", "1.0.0", frozenset({"image"})
        interface_version = base.INTERFACE_VERSION - 1

        def analyze(self, evidence, media):
            yield from ()

    with pytest.raises(registry.RegistryError, match=f"implements method interface {base.INTERFACE_VERSION - 1}"):
        registry.register(Old)
    assert "old-test" not in registry.available()


def test_a_duplicate_name_is_an_error():
    class First(base.Detector):
        name, version, inputs = "dup-test", "1.0.0", frozenset({"image"})

        def analyze(self, evidence, media):
            yield from ()

    class Second(First):
        """Another class that claims the same name."""

    registry.register(First)
    try:
        with pytest.raises(registry.RegistryError, match="already registered"):
            registry.register(Second)
    finally:
        registry.unregister("dup-test")


def test_entry_point_plugins_are_registered(monkeypatch):
    class Plugin(base.Detector):
        name, version, inputs = "plugin-test", "0.1.0", frozenset({"video"})

        def analyze(self, evidence, media):
            yield from ()

    import sys
    import types

    module = types.ModuleType("fake_plugin_module")
    module.Plugin = Plugin
    monkeypatch.setitem(sys.modules, "fake_plugin_module", module)
    point = EntryPoint(name="plugin-test", value="fake_plugin_module:Plugin", group=registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [point] if group == registry.ENTRY_POINT_GROUP else [])
    monkeypatch.setattr(registry, "_loaded", False)
    try:
        assert registry.available()["plugin-test"] is Plugin
    finally:
        registry.unregister("plugin-test")


def test_unknown_detector_names_the_known_ones():
    with pytest.raises(registry.RegistryError, match="no detector named 'nope'"):
        registry.get_detector("nope")
