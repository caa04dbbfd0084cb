"""Plug-in discovery: entry points, misspelt and mistyped hooks, broken plug-ins, suggestions."""

from __future__ import annotations

import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from interlock import AdapterSpec, hookimpl
from interlock.errors import AdapterNotFound, PluginError
from interlock.plugins import (
    ENTRY_POINT_GROUP,
    AuthorizationRequest,
    AuthorizationVote,
    LoadedPlugins,
    get_plugin_manager,
)


class NoOptions(BaseModel):
    pass


def spec(name: str) -> AdapterSpec:
    def factory(context: Any) -> Any:
        raise AssertionError("not built in these tests")

    return AdapterSpec(name=name, vendor=name, factory=factory, options_model=NoOptions)


GOOD_PLUGIN = """
    from pydantic import BaseModel

    import interlock
    from interlock.plugins import AdapterSpec


    class Options(BaseModel):
        pass


    def build(context):
        raise NotImplementedError


    @interlock.hookimpl
    def interlock_register_adapters(register):
        register(AdapterSpec(name="{adapter}", vendor="tmp", factory=build, options_model=Options))
"""

Install = Callable[..., str]


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """Install a throw-away distribution: a module plus a ``*.dist-info`` with entry points.

    Returns the entry-point name. Every module gets a unique name, and is forgotten again, so
    that no test sees another test's plug-in.
    """
    modules: list[str] = []
    monkeypatch.syspath_prepend(str(tmp_path))

    def install_(source: str, *, entry_name: str | None = None, **fmt: str) -> str:
        suffix = uuid.uuid4().hex[:8]
        module = f"tmp_interlock_plugin_{suffix}"
        name = entry_name or f"tmp-{suffix}"
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source.format(**fmt)))
        dist_info = tmp_path / f"tmp_interlock_dist_{suffix}-1.0.dist-info"
        dist_info.mkdir()
        (dist_info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: tmp-interlock-dist-{suffix}\nVersion: 1.0\n"
        )
        (dist_info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{name} = {module}\n")
        modules.append(module)
        return name

    yield install_
    for module in modules:
        sys.modules.pop(module, None)


def failure_for(loaded: LoadedPlugins, name: str) -> Any:
    matches = [f for f in loaded.failures if f.name == name]
    assert len(matches) == 1, loaded.failures
    return matches[0]


def test_an_installed_distribution_is_discovered_through_its_entry_point(
    install: Install,
) -> None:
    name = install(GOOD_PLUGIN, adapter="tmpvendor")

    loaded = get_plugin_manager()

    assert loaded.adapter("tmpvendor").vendor == "tmp"
    assert loaded.manager.get_plugin(name) is not None
    assert all(f.name != name for f in loaded.failures)


def test_discovery_can_be_turned_off(install: Install) -> None:
    install(GOOD_PLUGIN, adapter="tmpvendor")

    loaded = get_plugin_manager(load_entry_points=False)

    assert "tmpvendor" not in loaded.adapters


def test_each_call_builds_a_fresh_manager() -> None:
    first = get_plugin_manager(load_entry_points=False)
    second = get_plugin_manager(load_entry_points=False)

    assert first.manager is not second.manager


def test_a_misspelt_hook_is_reported_by_name_and_others_still_load(install: Install) -> None:
    misspelt = install(
        """
        import interlock

        @interlock.hookimpl
        def interlock_register_adaptrs(register):
            raise AssertionError("never called")
        """
    )
    install(GOOD_PLUGIN, adapter="stillhere")

    loaded = get_plugin_manager()

    failure = failure_for(loaded, misspelt)
    assert "interlock_register_adaptrs" in failure.error
    assert "did you mean 'interlock_register_adapters'" in failure.fix
    assert loaded.manager.get_plugin(misspelt) is None
    assert "stillhere" in loaded.adapters


def test_a_hookimpl_with_a_wrong_argument_name_is_reported(install: Install) -> None:
    wrong = install(
        """
        import interlock

        @interlock.hookimpl
        def interlock_register_adapters(registr):
            raise AssertionError("never called")
        """
    )

    loaded = get_plugin_manager()

    failure = failure_for(loaded, wrong)
    assert "registr" in failure.error
    assert "interlock.hookspecs" in failure.fix
    assert loaded.manager.get_plugin(wrong) is None


def test_a_rejected_plugin_leaves_none_of_its_hooks_behind(install: Install) -> None:
    # Hooks register in name order: interlock_authorize goes in before the broken one fails.
    half = install(
        """
        import interlock
        from interlock.plugins import AuthorizationVote

        @interlock.hookimpl
        def interlock_authorize(request):
            return AuthorizationVote(allow=False, rule_id="half", reason="half-loaded")

        @interlock.hookimpl
        def interlock_register_adapters(registr):
            raise AssertionError("never called")
        """
    )

    loaded = get_plugin_manager()

    failure_for(loaded, half)
    votes = loaded.manager.hook.interlock_authorize(
        request=AuthorizationRequest(principal="ann", role="hr", action="pause")
    )
    assert votes == []
    assert loaded.manager.get_plugin(half) is None


def test_an_import_error_is_reported_with_the_plugin_name(install: Install) -> None:
    broken = install("import interlock_no_such_dependency_xyz\n")

    loaded = get_plugin_manager()

    failure = failure_for(loaded, broken)
    assert "import failed" in failure.error
    assert "interlock_no_such_dependency_xyz" in failure.error
    assert failure.fix


def test_an_exception_at_import_is_reported_not_raised(install: Install) -> None:
    broken = install("raise RuntimeError('boom at import')\n")

    loaded = get_plugin_manager()

    assert "boom at import" in failure_for(loaded, broken).error


def test_a_module_without_hookimpls_is_reported(install: Install) -> None:
    empty = install(
        """
        def interlock_register_adapters(register):  # forgot @interlock.hookimpl
            pass
        """
    )

    loaded = get_plugin_manager()

    failure = failure_for(loaded, empty)
    assert "no interlock hook" in failure.error
    assert "@interlock.hookimpl" in failure.fix
    assert loaded.manager.get_plugin(empty) is None


def test_a_failing_register_hook_is_reported_and_registers_nothing(install: Install) -> None:
    faulty = install(
        """
        import interlock
        from interlock.plugins import AdapterSpec
        from pydantic import BaseModel

        @interlock.hookimpl
        def interlock_register_adapters(register):
            register(AdapterSpec(name="first", vendor="x", factory=print, options_model=BaseModel))
            raise RuntimeError("config file missing")
        """
    )
    install(GOOD_PLUGIN, adapter="other")

    loaded = get_plugin_manager()

    assert "config file missing" in failure_for(loaded, faulty).error
    assert "first" not in loaded.adapters  # all or nothing per plug-in
    assert "other" in loaded.adapters


# -- in-process plug-ins (the ``plugins=`` argument) ---------------------------------------------


class Registers:
    """A plug-in object registering the given specs."""

    def __init__(self, *specs: Any, name: str = "registers") -> None:
        self.specs = specs
        self.__name__ = name

    @hookimpl
    def interlock_register_adapters(self, register: Callable[[AdapterSpec], None]) -> None:
        for item in self.specs:
            register(item)


def test_adapters_from_plugin_objects_are_registered() -> None:
    loaded = get_plugin_manager(
        load_entry_points=False, plugins=[Registers(spec("sandbox"), spec("dingtalk"))]
    )

    assert sorted(loaded.adapters) == ["dingtalk", "sandbox"]
    assert loaded.failures == []


def test_registering_something_else_than_a_spec_is_a_plugin_failure() -> None:
    loaded = get_plugin_manager(
        load_entry_points=False, plugins=[Registers({"name": "sandbox"}, name="dicts")]
    )

    assert loaded.adapters == {}
    assert "not an AdapterSpec" in failure_for(loaded, "dicts").error


def test_an_adapter_name_registered_twice_keeps_the_first() -> None:
    first = Registers(spec("sandbox"), name="first")
    second = Registers(spec("sandbox"), name="second")

    loaded = get_plugin_manager(load_entry_points=False, plugins=[first, second])

    assert list(loaded.adapters) == ["sandbox"]
    assert "twice" in failure_for(loaded, "second").error
    assert all(f.name != "first" for f in loaded.failures)


def test_two_plugins_under_one_name_are_reported() -> None:
    loaded = get_plugin_manager(
        load_entry_points=False,
        plugins=[Registers(spec("a"), name="same"), Registers(spec("b"), name="same")],
    )

    assert list(loaded.adapters) == ["a"]
    assert "one name" in failure_for(loaded, "same").fix


def test_unknown_adapter_suggests_the_closest_installed_name() -> None:
    loaded = get_plugin_manager(
        load_entry_points=False, plugins=[Registers(spec("sandbox"), spec("beisen"))]
    )

    with pytest.raises(AdapterNotFound) as caught:
        loaded.adapter("sandbx")

    error = caught.value
    assert "'sandbox'" in str(error)
    assert "did you mean" in str(error)
    assert error.details["installed"] == ["beisen", "sandbox"]
    assert error.code == "INTERLOCK.ADAPTER_NOT_FOUND"


def test_unknown_adapter_without_a_close_match_lists_what_is_installed() -> None:
    loaded = get_plugin_manager(load_entry_points=False, plugins=[Registers(spec("sandbox"))])

    with pytest.raises(AdapterNotFound, match="installed adapters: sandbox"):
        loaded.adapter("workday")


def test_observer_hooks_reach_every_plugin() -> None:
    class Voter:
        def __init__(self, allow: bool) -> None:
            self.allow = allow
            self.__name__ = f"voter-{allow}"

        @hookimpl
        def interlock_authorize(self, request: AuthorizationRequest) -> AuthorizationVote:
            return AuthorizationVote(allow=self.allow, rule_id=self.__name__, reason="test")

    loaded = get_plugin_manager(load_entry_points=False, plugins=[Voter(True), Voter(False)])
    votes = loaded.manager.hook.interlock_authorize(
        request=AuthorizationRequest(principal="ann", role="hr", action="pause")
    )

    assert sorted(v.allow for v in votes) == [False, True]
    assert loaded.failures == []


def test_plugin_error_is_an_interlock_error() -> None:
    assert PluginError("x").code == "INTERLOCK.PLUGIN_ERROR"
