"""Frame filtering and deferred patching: which line gets the blame, and when trio is patched."""

from __future__ import annotations

import json.decoder
import sys
from asyncio import base_events
from types import SimpleNamespace

import _pytest.python

from pytest_loopguard.frames import capture_stack, default_is_user_frame
from pytest_loopguard.probes.patching import WhenImported


def fake_stack(*entries: tuple[str, int, str]) -> object:
    """Build a frame chain from (filename, lineno, function), outermost first."""
    frame = None
    for filename, lineno, function in entries:
        code = SimpleNamespace(co_filename=filename, co_name=function, co_qualname=function)
        frame = SimpleNamespace(f_code=code, f_lineno=lineno, f_back=frame)
    return frame


def test_patch_waits_for_the_import_of_its_module(monkeypatch):
    seen = []
    hook = WhenImported("json.tool", seen.append)
    monkeypatch.delitem(sys.modules, "json.tool", raising=False)
    hook.install()
    try:
        import json.tool
    finally:
        hook.uninstall()
    assert seen == [json.tool]
    assert hook not in sys.meta_path


def test_user_frames_exclude_stdlib_packages_and_machinery(tmp_path):
    assert default_is_user_frame(str(tmp_path / "test_app.py"))
    assert not default_is_user_frame(json.decoder.__file__)
    assert not default_is_user_frame(_pytest.python.__file__)
    assert not default_is_user_frame(sys.modules["pytest_loopguard.detector"].__file__)
    assert not default_is_user_frame("<frozen runpy>")


def test_stack_without_user_code_blames_the_deepest_non_machinery_frame():
    loop_code, library = base_events.__file__, json.decoder.__file__
    frame = fake_stack((loop_code, 1, "run_forever"), (library, 2, "decode"))
    assert [f.function for f in capture_stack(frame)] == ["decode"]
    assert capture_stack(fake_stack((base_events.__file__, 1, "run_forever"))) == ()


def test_frames_of_the_process_entry_are_never_blamed_nor_shown(tmp_path):
    """An xdist worker starts in execnet's bootstrap, compiled from a string."""
    loop_code, library = base_events.__file__, json.decoder.__file__
    user = str(tmp_path / "app.py")
    entry = (("<string>", 1, "<module>"), ("<string>", 8, "<module>"))
    # No project frame: the entry is not the culprit, and nothing else could be blamed.
    assert capture_stack(fake_stack(*entry, (loop_code, 1, "run_forever"))) == ()
    # The stack starts below the entry.
    frame = fake_stack(*entry, (loop_code, 1, "run_forever"), (user, 3, "main"))
    assert [(f.filename, f.function) for f in capture_stack(frame)] == [(user, "main")]
    # Without a project frame, the deepest other frame is blamed; the entry is not.
    frame = fake_stack(*entry, (library, 2, "decode"), (loop_code, 9, "select"))
    assert [f.function for f in capture_stack(frame)] == ["decode"]
    blamed = capture_stack(fake_stack(*entry, (user, 3, "main"), (loop_code, 9, "select")))
    assert [f.function for f in blamed] == ["main"]


def test_blockbusters_wrapper_is_passed_over_for_its_caller(pytester) -> None:
    """Projects run blockbuster beside loopguard; its wrapper of `time.sleep` is not the culprit."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    # A stand-in with blockbuster's shape, outside site-packages: without the machinery entry
    # its frame would count as the project's own and be blamed.
    pytester.mkpydir("blockbuster").joinpath("__init__.py").write_text(
        "import time\n\n\ndef wrapper(*args):\n    return time.sleep(*args)\n"
    )
    pytester.makepyfile(
        test_wrapped="""
        import pytest
        import blockbuster

        @pytest.mark.asyncio
        async def test_sleeps():
            blockbuster.wrapper(0.2)
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:hypothesispytest", "--loopguard=50ms")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["blocking line:", "  test_wrapped.py:6 in test_sleeps", "      blockbuster.wrapper(0.2)"]
    )
    result.stdout.no_fnmatch_line("*blockbuster*__init__.py*")
