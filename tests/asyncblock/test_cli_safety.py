"""`asyncblock check --fix` never loses a file, and the command never hangs or dies with a traceback."""

from __future__ import annotations

import os
import pty
import resource
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flake8_asyncblock.cli import main
from flake8_asyncblock.report import Exit, Reporter
from flake8_asyncblock.results import FileResult, Finding

SLEEPY = "import time\n\n\nasync def poll():\n    time.sleep(1)\n"
FIXED = "import asyncio\n\n\nasync def poll():\n    await asyncio.sleep(1)\n"


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["check", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def command(*argv: str, cwd: Path, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flake8_asyncblock", "check", *argv],
                          capture_output=True, text=True, check=False, cwd=cwd, **kwargs)


def _limit_file_size(limit: int):
    def preexec() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # so a write fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return preexec


def test_a_full_disk_leaves_the_file_whole_and_the_run_goes_on(tree: Path) -> None:
    """A write that fails half-way (here: the file-size limit) keeps the original intact."""
    big = SLEEPY + "".join(f"\n\nasync def poll{i}():\n    time.sleep({i})\n" for i in range(40))
    (tree / "a_big.py").write_text(big, encoding="utf-8")
    (tree / "b_small.py").write_text(SLEEPY, encoding="utf-8")
    limit = len(big) + 20  # room for the small file fixed, not for the big one
    result = command("--fix", ".", cwd=tree, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
                     preexec_fn=_limit_file_size(limit))
    assert result.returncode == Exit.FILE_ERROR, result.stderr
    assert (tree / "a_big.py").read_text(encoding="utf-8") == big
    assert (tree / "b_small.py").read_text(encoding="utf-8") == FIXED
    assert "a_big.py: cannot write: File too large\n" in result.stderr
    assert "asyncblock: 42 findings, 1 fixed, 41 left (41 file not written)" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tree.iterdir() if p.name != ".asyncblock_cache") == [
        "a_big.py", "b_small.py"]  # no temp file


def test_a_read_only_file_among_writable_ones_is_reported_and_the_others_are_fixed(
    tree: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("a.py", "b.py", "c.py"):
        (tree / name).write_text(SLEEPY, encoding="utf-8")
    (tree / "b.py").chmod(0o444)
    status, out, err = run(capsys, "--fix")
    assert status == Exit.FILE_ERROR
    assert (tree / "a.py").read_text() == FIXED and (tree / "c.py").read_text() == FIXED
    assert (tree / "b.py").read_text() == SLEEPY
    assert out == "b.py:5:5: ABL100 time.sleep() blocks the event loop; use await asyncio.sleep()\n"
    assert err.splitlines() == [
        "b.py: cannot write: Permission denied (the file is read-only)",
        "asyncblock: 3 findings, 2 fixed, 1 left (1 file not written)",
        "asyncblock: 1 file(s) or folder(s) could not be read or written",
    ]


def test_fix_keeps_mode_bits_and_symlinks(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "tool.py").write_text(SLEEPY, encoding="utf-8")
    (tree / "tool.py").chmod(0o751)
    (tree / "real.py").write_text(SLEEPY, encoding="utf-8")
    (tree / "link.py").symlink_to("real.py")
    assert run(capsys, "--fix", "tool.py", "link.py")[0] == Exit.CLEAN
    assert stat.S_IMODE((tree / "tool.py").stat().st_mode) == 0o751
    assert (tree / "tool.py").read_text() == FIXED
    assert (tree / "link.py").is_symlink() and (tree / "real.py").read_text() == FIXED


def test_unreadable_folders_are_reported_not_skipped(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tree / "app.py").write_text(SLEEPY, encoding="utf-8")
    closed = tree / "closed"
    closed.mkdir()
    (closed / "x.py").write_text(SLEEPY, encoding="utf-8")
    closed.chmod(0)
    if os.geteuid() == 0:  # root reads any folder: refuse this one as the kernel would
        scandir = os.scandir

        def refusing(path: object = ".") -> object:
            if os.path.abspath(os.fspath(path)) == str(closed):  # type: ignore[arg-type]
                raise PermissionError(13, "Permission denied", os.fspath(path))  # type: ignore[arg-type]
            return scandir(path)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "scandir", refusing)
    try:
        for target in ("closed", "."):
            status, out, err = run(capsys, target)
            assert status == Exit.FILE_ERROR, target
            assert err.splitlines()[0].endswith("closed: cannot read folder: Permission denied")
            assert "Traceback" not in err
        assert out.startswith("app.py:5:5: ABL100")
    finally:
        closed.chmod(0o755)


@pytest.mark.timeout(60)
def test_a_fifo_is_reported_and_skipped_without_hanging(tree: Path) -> None:
    (tree / "app.py").write_text(SLEEPY, encoding="utf-8")
    os.mkfifo(tree / "pipe.py")
    for target in (".", "pipe.py"):
        result = command(target, cwd=tree, timeout=30)
        assert result.returncode == Exit.FILE_ERROR
        assert "pipe.py: cannot read: not a regular file (a FIFO)\n" in result.stderr


def test_findings_stream_out_as_each_file_is_done() -> None:
    """Text output is written per file, before the later files are checked."""
    import io

    out, err = io.StringIO(), io.StringIO()
    reporter = Reporter("text", "check", out, err)
    finding = Finding("a.py", 5, 5, 5, "ABL100", "time.sleep() blocks")
    reporter.file(FileResult("a.py", (finding,)))
    assert out.getvalue() == "a.py:5:5: ABL100 time.sleep() blocks\n"
    reporter.file(FileResult("b.py"))
    assert reporter.close() == Exit.FINDINGS


def test_a_named_symlink_loop_and_a_broken_link_are_named(
    tree: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    (tree / "loop").symlink_to("loop")
    (tree / "gone.py").symlink_to("nowhere.py")
    assert run(capsys, "loop")[::2] == (Exit.USAGE, "asyncblock: error: symlink loop: loop\n")
    assert run(capsys, "gone.py")[::2] == (
        Exit.USAGE, "asyncblock: error: broken symlink: gone.py -> nowhere.py\n")


def test_an_empty_or_fully_excluded_target_says_so(
    tree: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    (tree / "empty").mkdir()
    (tree / "app.py").write_text(SLEEPY, encoding="utf-8")
    for argv in (["empty"], ["--exclude", "app.py", "."]):
        status, out, err = run(capsys, *argv)
        assert (status, out) == (Exit.CLEAN, "")
        assert err.startswith("asyncblock: warning: no Python files found under ")


def test_exit_statuses(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "ok.py").write_text(FIXED, encoding="utf-8")
    (tree / "bad.py").write_text(SLEEPY, encoding="utf-8")
    (tree / "broken.py").write_text("def (:\n", encoding="utf-8")
    os.mkfifo(tree / "pipe.py")
    assert run(capsys, "ok.py")[0] == 0
    assert run(capsys, "bad.py")[0] == 1
    assert run(capsys, "broken.py")[0] == 1  # a syntax error is a finding, as in ruff
    assert run(capsys, "--select", "NOPE")[0] == 2
    assert run(capsys, "pipe.py", "ok.py")[0] == 3  # even with nothing found elsewhere
    assert run(capsys, "pipe.py", "bad.py")[0] == 3


def _read_until(fd: int, needle: bytes, deadline: float) -> bytes:
    seen = b""
    while needle not in seen and time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    return seen


@pytest.mark.timeout(120)
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_through_a_terminal_stops_with_one_line_and_status_130(
    tree: Path, jobs: str,
) -> None:
    body = SLEEPY + "".join(f"\n\nasync def poll{i}():\n    time.sleep({i})\n" for i in range(300))
    for number in range(600):
        (tree / f"m{number:03}.py").write_text(body, encoding="utf-8")
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command, on the terminal as its controlling tty
        os.chdir(tree)
        os.execv(sys.executable, [sys.executable, "-m", "flake8_asyncblock", "check",
                                  "--jobs", jobs, "."])
    deadline = time.monotonic() + 90
    before = _read_until(fd, b"ABL100", deadline)
    assert b"ABL100" in before, before[-2000:]
    os.write(fd, b"\x03")  # the terminal turns ^C into SIGINT for its foreground group
    after = _read_until(fd, b"\x00never", deadline)
    _, wait_status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(wait_status) == Exit.INTERRUPTED
    text = (before + after).decode("utf-8", "replace")
    assert text.count("asyncblock: interrupted") == 1
    assert "Traceback" not in text and "KeyboardInterrupt" not in text
    # The terminal discards the output still queued when ^C comes (and echoes "^C"),
    # so the findings may end mid-line; after the echo comes one line, and nothing else.
    assert text.count("^C") == 1
    assert text.split("^C")[1].strip() == "asyncblock: interrupted"
