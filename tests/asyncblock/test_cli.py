"""The `asyncblock check` command: files, options, config, noqa, excludes, formats, exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from flake8_asyncblock.cli import PARALLEL_THRESHOLD, main
from flake8_asyncblock.registry import RULES

SLEEPY = "import time\n\n\nasync def poll():\n    time.sleep(1)\n"
CLEAN = "import asyncio\n\n\nasync def poll():\n    await asyncio.sleep(1)\n"


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(SLEEPY, encoding="utf-8")
    (tmp_path / "ok.py").write_text(CLEAN, encoding="utf-8")
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["check", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_findings_are_printed_as_path_line_col_code_and_exit_1(tree: Path, capsys) -> None:
    status, out, err = run(capsys)
    assert status == 1
    assert out == (
        "app.py:5:5: ABL100 time.sleep() blocks the event loop; use await asyncio.sleep()\n"
    )
    assert err == ""


def test_clean_files_exit_0_and_print_nothing(tree: Path, capsys) -> None:
    assert run(capsys, "ok.py") == (0, "", "")


def test_usage_errors_exit_2_with_one_line(tree: Path, capsys) -> None:
    for argv in (["--select", "ABL99x"], ["--ignore", "XYZ1"], ["--range-limit", "0"],
                 ["--jobs", "0"], ["missing.py"], ["--blocking", "not a name"],
                 ["--unsafe-fixes"], ["--format", "xml"]):
        status, _out, err = run(capsys, *argv)
        assert status == 2, argv
        assert err.startswith("asyncblock: error: ") and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1, err
    assert main([]) == 2
    assert "a command is required" in capsys.readouterr().err


def test_unknown_code_message_names_the_flag_and_the_code(tree: Path, capsys) -> None:
    _, _, err = run(capsys, "--select", "ABL999")
    assert "--select: unknown code 'ABL999'" in err


def test_select_and_ignore_use_prefixes(tree: Path, capsys) -> None:
    assert run(capsys, "--select", "ABL1")[0] == 1
    assert run(capsys, "--ignore", "ABL10")[0] == 0
    assert run(capsys, "--select", "ABL900", "--blocking", "time.sleep")[1].startswith(
        "app.py:5:5: ABL900 time.sleep() blocks"
    )


def test_default_selection_is_the_rules_enabled_by_default(tree: Path) -> None:
    from flake8_asyncblock.config import Selection, select_codes

    assert select_codes([Selection()]) == {r.code for r in RULES if r.default_enabled}
    assert select_codes([Selection(("ABL",), ignore=("ABL100",))]) == (
        {r.code for r in RULES} - {"ABL100"})


def test_noqa_follows_flake8(tree: Path, capsys) -> None:
    body = (
        "import time\n\nasync def poll():\n"
        "    time.sleep(1)  # noqa\n"
        "    time.sleep(2)  # noqa: ABL100\n"
        "    time.sleep(3)  # NOQA:ABL1\n"
        "    time.sleep(4)  # noqa: E501\n"
        "    time.sleep(\n        5,\n    )  # noqa: E501, ABL100\n"
        "    x = '# noqa'; time.sleep(6)\n"
    )
    (tree / "app.py").write_text(body, encoding="utf-8")
    _, out, _ = run(capsys, "app.py")
    assert [line.split(":")[1] for line in out.splitlines()] == ["7"]


def test_default_excludes_virtualenvs_and_gitignore(tree: Path, capsys) -> None:
    for folder in ("dist", ".tox", "node_modules", "__pycache__", "env", "ignored", "sub",
                   "sub/build", "sub/dist"):
        (tree / folder).mkdir()
        (tree / folder / "x.py").write_text(SLEEPY, encoding="utf-8")
    (tree / "env" / "pyvenv.cfg").write_text("home = /usr\n", encoding="utf-8")
    (tree / ".gitignore").write_text("ignored/\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=tree, check=True)
    _, out, _ = run(capsys)
    # As in ruff: `dist` is skipped at any depth, `build` (real source in many projects) is not.
    assert sorted(line.split(":")[0] for line in out.splitlines()) == [
        "app.py", "sub/build/x.py", "sub/x.py"]
    _, out, _ = run(capsys, "--no-gitignore")
    assert "ignored/x.py" in out
    _, out, _ = run(capsys, "--exclude", "sub,app.py")
    assert out == ""
    # A file named on the command line is checked even in an excluded folder.
    assert run(capsys, "dist/x.py")[0] == 1
    assert run(capsys, "dist")[0] == 1


def test_config_from_pyproject_and_flags_win(tree: Path, capsys) -> None:
    (tree / "pyproject.toml").write_text(
        '[tool.asyncblock]\nignore = ["ABL100"]\nexclude = ["sub/*.py"]\n'
        'blocking = "vendor.db.query"\nrange-limit = 500\n',
        encoding="utf-8",
    )
    (tree / "sub").mkdir()
    (tree / "sub" / "deep.py").write_text(SLEEPY, encoding="utf-8")
    assert run(capsys)[0] == 0
    status, out, _ = run(capsys, "--select", "ABL100")  # the command line wins, as in ruff
    assert status == 1 and out.startswith("app.py:5:5: ABL100")
    assert "sub/deep.py" not in out
    # Found by walking up from a path below the project.
    assert run(capsys, "sub/deep.py")[0] == 0


def test_config_errors_are_usage_errors(tree: Path, capsys) -> None:
    pyproject = tree / "pyproject.toml"
    for table, expected in [
        ("selct = ['ABL100']", "unknown key 'selct'"),
        ("range-limit = -3", "range-limit: expected a positive integer"),
        ("select = ['ABL777']", "unknown code 'ABL777'"),
        ("select = 5", "expected a list of strings"),
        ("select = [", "invalid TOML"),
    ]:
        pyproject.write_text(f"[tool.asyncblock]\n{table}\n", encoding="utf-8")
        status, _, err = run(capsys)
        assert status == 2 and expected in err, (table, err)


def test_config_option_points_at_another_file(tree: Path, capsys) -> None:
    (tree / "other.toml").write_text("[tool.asyncblock]\nselect = ['ABL9']\n", encoding="utf-8")
    assert run(capsys, "--config", "other.toml")[0] == 0
    assert "no such file" in run(capsys, "--config", "nope.toml")[2]


def test_unparsable_files_are_reported_and_skipped(tree: Path, capsys) -> None:
    (tree / "broken.py").write_text("async def f(:\n", encoding="utf-8")
    (tree / "app.py").unlink()
    status, out, err = run(capsys)
    assert (status, out) == (1, "")
    assert err == "broken.py: cannot parse: invalid syntax (line 1)\n"


def test_undecodable_files_are_read_as_flake8_reads_them(tree: Path, capsys) -> None:
    """A bad coding line or non-UTF-8 bytes: flake8 falls back to latin-1, and so do we."""
    (tree / "cookie.py").write_bytes(b"# -*- coding: klingon -*-\n" + SLEEPY.encode())
    (tree / "bytes.py").write_bytes(b"x = '\xff'\n" + SLEEPY.encode())
    status, out, err = run(capsys, "cookie.py", "bytes.py")
    assert status == 1 and err == ""
    assert sorted(line.split(" ")[0] for line in out.splitlines()) == [
        "bytes.py:6:5:", "cookie.py:6:5:"]
    flake8 = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "ABL", "cookie.py", "bytes.py"],
        capture_output=True, text=True, check=False,
    )
    assert sorted(flake8.stdout.splitlines()) == sorted(out.splitlines())


def test_fix_of_a_latin1_file_writes_latin1_back(tree: Path, capsys) -> None:
    (tree / "bytes.py").write_bytes(b"x = '\xff'\n" + SLEEPY.encode())
    assert run(capsys, "--fix", "bytes.py")[0] == 0
    data = (tree / "bytes.py").read_bytes()
    assert b"x = '\xff'\n" in data and b"    await asyncio.sleep(1)\n" in data


def test_json_format(tree: Path, capsys) -> None:
    _, out, _ = run(capsys, "--format", "json")
    [item] = json.loads(out)
    assert item == {
        "path": "app.py", "line": 5, "column": 5, "code": "ABL100", "slug": "blocking-sleep",
        "message": "time.sleep() blocks the event loop; use await asyncio.sleep()", "fix": "safe",
    }


#: The parts of the SARIF 2.1.0 schema that GitHub code scanning relies on.
SARIF_REQUIRED = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["tool", "results"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {
                    "driver": {"type": "object", "required": ["name", "rules"], "properties": {
                        "rules": {"type": "array", "items": {
                            "type": "object",
                            "required": ["id", "name", "shortDescription", "fullDescription",
                                         "help"],
                            "properties": {
                                "shortDescription": {"$ref": "#/$defs/message"},
                                "fullDescription": {"$ref": "#/$defs/message"},
                                "help": {"$ref": "#/$defs/message"},
                            },
                        }},
                    }},
                }},
                "results": {"type": "array", "items": {
                    "type": "object",
                    "required": ["ruleId", "level", "message", "locations"],
                    "properties": {
                        "level": {"enum": ["none", "note", "warning", "error"]},
                        "message": {"$ref": "#/$defs/message"},
                        "locations": {"type": "array", "minItems": 1, "items": {
                            "type": "object", "required": ["physicalLocation"],
                            "properties": {"physicalLocation": {
                                "type": "object", "required": ["artifactLocation", "region"],
                                "properties": {
                                    "artifactLocation": {
                                        "type": "object", "required": ["uri"],
                                        "properties": {"uri": {"type": "string",
                                                               "pattern": "^[^\\\\]+$"}},
                                    },
                                    "region": {
                                        "type": "object", "required": ["startLine", "startColumn"],
                                        "properties": {
                                            "startLine": {"type": "integer", "minimum": 1},
                                            "startColumn": {"type": "integer", "minimum": 1},
                                        },
                                    },
                                },
                            }},
                        }},
                    },
                }},
            },
        }},
    },
    "$defs": {"message": {"type": "object", "required": ["text"],
                          "properties": {"text": {"type": "string", "minLength": 1}}}},
}


def test_sarif_format_has_the_required_fields(tree: Path, capsys) -> None:
    (tree / "pkg").mkdir()
    (tree / "pkg" / "mod.py").write_text("x = 'é'\n" + SLEEPY, encoding="utf-8")
    _, out, _ = run(capsys, "--format", "sarif", "pkg")
    log = json.loads(out)
    jsonschema.validate(log, SARIF_REQUIRED)
    run_ = log["runs"][0]
    assert [r["id"] for r in run_["tool"]["driver"]["rules"]] == [r.code for r in RULES]
    [result] = run_["results"]
    assert result["ruleId"] == "ABL100"
    assert run_["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "ABL100"
    location = result["locations"][0]["physicalLocation"]
    assert location == {"artifactLocation": {"uri": "pkg/mod.py"},
                        "region": {"startLine": 6, "startColumn": 5}}


def test_sarif_of_a_clean_tree_has_no_results(tree: Path, capsys) -> None:
    status, out, _ = run(capsys, "--format", "sarif", "ok.py")
    assert status == 0 and json.loads(out)["runs"][0]["results"] == []


def test_github_format_escapes_properties_and_data(tree: Path, capsys) -> None:
    (tree / "a,b:c%.py").write_text(SLEEPY, encoding="utf-8")
    _, out, _ = run(capsys, "--format", "github", "a,b:c%.py")
    assert out == (
        "::warning file=a%2Cb%3Ac%25.py,line=5,col=5,title=ABL100::"
        "ABL100 time.sleep() blocks the event loop; use await asyncio.sleep()\n"
    )


def test_many_files_are_checked_by_worker_processes(tree: Path, capsys) -> None:
    count = PARALLEL_THRESHOLD + 10
    for number in range(count):
        (tree / f"m{number:03}.py").write_text(SLEEPY, encoding="utf-8")
    (tree / "m000.py").write_text("def (:\n", encoding="utf-8")
    status, out, err = run(capsys, "--jobs", "2")
    assert status == 1
    assert len(out.splitlines()) == count  # app.py plus all but the broken one
    assert "m000.py: cannot parse" in err
    serial = run(capsys, "--jobs", "1")
    assert serial == (status, out, err)


def test_the_real_command_runs_as_a_module(tree: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flake8_asyncblock", "check", "--format", "github", "."],
        capture_output=True, text=True, check=False, cwd=tree,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("::warning file=app.py,line=5,col=5,title=ABL100::")
    version = subprocess.run(
        [sys.executable, "-m", "flake8_asyncblock", "--version"],
        capture_output=True, text=True, check=False,
    )
    assert version.returncode == 0 and version.stdout.startswith("asyncblock ")
