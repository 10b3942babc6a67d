"""Loopguard sessions with values that cannot work: refused at the start, or failing the run."""

from __future__ import annotations

import pytest
from loopguard_sessions import QUIET, run


def test_a_report_that_cannot_be_written_at_the_end_fails_the_run(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\n" + QUIET)
    (pytester.path / "out").mkdir()
    pytester.makepyfile(
        """
        import pathlib, shutil

        def test_removes_the_report_folder():
            shutil.rmtree(pathlib.Path(__file__).parent / "out")
        """
    )
    result = run(pytester, "--loopguard=100ms", "--loopguard-report=out/stalls.json")
    result.assert_outcomes(passed=1)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["=* loopguard: could not write the report */out/stalls.json: *=*"])


def test_a_marker_below_the_measurable_limit_fails_only_its_test(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.loopguard("10us")
        def test_too_fine():
            pass

        def test_fine():
            pass
        """
    )
    result = run(pytester, "--loopguard=100ms")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*@pytest.mark.loopguard: '10us' is below the smallest stall loopguard can measure, 1ms*"]
    )
