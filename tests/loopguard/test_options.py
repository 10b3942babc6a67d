"""Loopguard options: durations, precedence, modes, allow list and usage errors."""

from __future__ import annotations

import pytest

from pytest_loopguard.allow import AllowList
from pytest_loopguard.keys import SETTINGS_KEY
from pytest_loopguard.marker import MarkerCache, resolve_threshold
from pytest_loopguard.options import ENV_VAR, parse_duration


@pytest.fixture(autouse=True)
def _no_loopguard_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("100ms", 0.1), ("0.25s", 0.25), ("1.5s", 1.5), ("500us", 0.0005), (" 2S ", 2.0),
     ("0", 0.0), ("off", 0.0), ("OFF", 0.0)],
)
def test_durations_become_seconds(text: str, seconds: float) -> None:
    assert parse_duration(text, "--loopguard") == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["10x", "100", "-1ms", "", "ms", "1.2.3s", "1 h"])
def test_bad_duration_is_a_usage_error_naming_source_and_value(text: str) -> None:
    with pytest.raises(pytest.UsageError) as info:
        parse_duration(text, "--loopguard")
    assert str(info.value) == (
        f"--loopguard: expected a duration such as 100ms or 0.5s, got {text!r}"
    )


QUIET = "asyncio_default_fixture_loop_scope = function\n"
INI_FILES = {
    "pyproject.toml": '[tool.pytest.ini_options]\nloopguard = "{value}"\n'
    'asyncio_default_fixture_loop_scope = "function"\n',
    "pytest.ini": "[pytest]\nloopguard = {value}\n" + QUIET,
    "setup.cfg": "[tool:pytest]\nloopguard = {value}\n" + QUIET,
    "tox.ini": "[pytest]\nloopguard = {value}\n" + QUIET,
}


def write_ini(pytester: pytest.Pytester, lines: str = "") -> None:
    """Write pytest.ini with `lines`, quieting pytest-asyncio's loop-scope warning."""
    pytester.makeini("[pytest]\n" + QUIET + lines)


@pytest.mark.parametrize("filename", sorted(INI_FILES))
def test_ini_key_is_read_from_every_config_file(pytester: pytest.Pytester, filename: str) -> None:
    (pytester.path / filename).write_text(INI_FILES[filename].format(value="250ms"))
    config = pytester.parseconfigure()
    assert resolve_threshold(config.stash[SETTINGS_KEY]) == pytest.approx(0.25)
    assert config.stash[SETTINGS_KEY].threshold_source == "ini"


@pytest.mark.parametrize(
    ("cli", "env", "ini", "seconds", "source"),
    [
        (None, None, None, 0.0, "default"),
        (None, None, "300ms", 0.3, "ini"),
        (None, "200ms", "300ms", 0.2, ENV_VAR),
        ("100ms", "200ms", "300ms", 0.1, "--loopguard"),
        ("off", "200ms", "300ms", 0.0, "--loopguard"),
        (None, "off", "300ms", 0.0, ENV_VAR),
    ],
)
def test_cli_beats_env_beats_ini(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    cli: str | None,
    env: str | None,
    ini: str | None,
    seconds: float,
    source: str,
) -> None:
    write_ini(pytester, "" if ini is None else f"loopguard = {ini}\n")
    if env is not None:
        monkeypatch.setenv(ENV_VAR, env)
    config = pytester.parseconfigure(*([f"--loopguard={cli}"] if cli else []))
    assert resolve_threshold(config.stash[SETTINGS_KEY]) == pytest.approx(seconds)
    assert config.stash[SETTINGS_KEY].threshold_source == source


MARKED = """
    import pytest

    pytestmark = pytest.mark.loopguard("2s")

    @pytest.mark.loopguard("off")
    def test_off():
        pass

    class TestGroup:
        pytestmark = pytest.mark.loopguard("700ms")

        def test_in_class(self):
            pass

        @pytest.mark.loopguard("5ms")
        def test_own(self):
            pass

    def test_module_level():
        pass
"""


@pytest.mark.parametrize("cached", [False, True], ids=["walk", "parents-cached"])
def test_closest_marker_beats_cli(pytester: pytest.Pytester, cached: bool) -> None:
    write_ini(pytester)
    items, _ = pytester.inline_genitems(pytester.makepyfile(MARKED), "--loopguard=100ms")
    parents: MarkerCache | None = {} if cached else None
    by_name = {
        item.name: resolve_threshold(item.config.stash[SETTINGS_KEY], item, parents)
        for item in items
    }
    assert by_name == {
        "test_off": 0.0,
        "test_in_class": pytest.approx(0.7),
        "test_own": pytest.approx(0.005),
        "test_module_level": pytest.approx(2.0),
    }


@pytest.mark.parametrize(
    ("args", "ini", "mode"),
    [((), None, "fail"), ((), "warn", "warn"), (("--loopguard-mode=fail",), "warn", "fail"),
     (("--loopguard-mode=WARN",), None, "warn")],
)
def test_mode_comes_from_cli_then_ini(
    pytester: pytest.Pytester, args: tuple[str, ...], ini: str | None, mode: str
) -> None:
    write_ini(pytester, "" if ini is None else f"loopguard_mode = {ini}\n")
    config = pytester.parseconfigure(*args)
    assert config.stash[SETTINGS_KEY].mode == mode
    assert config.stash[SETTINGS_KEY].warn_only == (mode == "warn")


def test_allow_list_and_report_path_are_read(pytester: pytest.Pytester) -> None:
    write_ini(pytester, "loopguard_allow =\n    app.db:connect\n    tests/legacy/*\n")
    config = pytester.parseconfigure("--loopguard-report=out.json")
    settings = config.stash[SETTINGS_KEY]
    assert settings.allow == AllowList(("app.db:connect", "tests/legacy/*"))
    assert settings.report_path == "out.json"


@pytest.mark.parametrize(
    ("filename", "function", "allowed"),
    [
        ("/root/src/app/db.py", "connect", True),  # module suffix under src/
        ("/root/app/db.py", "connect", True),
        ("/root/app/db.py", "query", False),
        ("/venv/lib/site-packages/app/db.py", "connect", True),
        ("/root/app/dbx.py", "connect", False),
        ("/root/tests/legacy/test_old.py", "anything", True),  # path glob
        ("/root/tests/test_new.py", "anything", False),
        ("/root/vendor/slow.py", "crunch", True),  # absolute glob
        ("/root/x/mod.py", "retry_sleep", True),  # wildcard module, glob function
    ],
)
def test_allow_list_matches_module_function_and_path_globs(
    filename: str, function: str, allowed: bool
) -> None:
    allow = AllowList(("app.db:connect", "tests/legacy/*", "*/vendor/*.py", "*:retry_*"))
    assert allow.matches(filename, function, "/root") is allowed


# One session per source of bad input: the message must reach the user as
# a usage error (exit status 4), not as a traceback.
@pytest.mark.parametrize(
    ("args", "env", "ini", "message"),
    [
        (("--loopguard=10x",), None, None,
         "ERROR: --loopguard: expected a duration such as 100ms or 0.5s, got '10x'"),
        ((), "100", None,
         "ERROR: LOOPGUARD environment variable: expected a duration such as 100ms or 0.5s, "
         "got '100'"),
        ((), None, "loopguard = -5ms",
         "ERROR: loopguard (ini): expected a duration such as 100ms or 0.5s, got '-5ms'"),
        (("--loopguard-mode=loud",), None, None,
         "ERROR: --loopguard-mode: expected one of fail, warn, got 'loud'"),
        (("--loopguard-report=missing/dir/out.json",), None, None,
         "ERROR: --loopguard-report: directory * does not exist*"),
        (("--loopguard-report=.",), None, None, "ERROR: --loopguard-report: * is a directory*"),
        (("--loopguard-report=",), None, None,
         "ERROR: --loopguard-report: expected a file path, got ''"),
        (("--loopguard=99999999999s",), None, None,
         "ERROR: --loopguard: '99999999999s' is longer than the clock can wait for, *s"),
        (("--loopguard=0.0001us",), None, None,
         "ERROR: --loopguard: '0.0001us' is below the smallest stall loopguard can measure, 1ms"),
        ((), None, "loopguard = 500us",
         "ERROR: loopguard (ini): '500us' is below the smallest stall loopguard can measure, 1ms"),
    ],
)
def test_bad_values_are_usage_errors(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    env: str | None,
    ini: str | None,
    message: str,
) -> None:
    if env is not None:
        monkeypatch.setenv(ENV_VAR, env)
    write_ini(pytester, "" if ini is None else ini + "\n")
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest_inprocess(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert "Traceback" not in result.stderr.str()


def test_bad_marker_fails_only_its_test(pytester: pytest.Pytester) -> None:
    write_ini(pytester)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.loopguard("fast")
        def test_bad_marker():
            pass

        @pytest.mark.loopguard("1s", "2s")
        def test_two_values():
            pass

        def test_fine():
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:hypothesispytest")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.loopguard: expected a duration such as 100ms or 0.5s, got 'fast'",
            "*@pytest.mark.loopguard: expected one duration such as '100ms' or 'off'*",
        ],
        consecutive=False,
    )
