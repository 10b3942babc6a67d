"""Output formats against what reads them: the official SARIF 2.1.0 schema, GitLab, JUnit."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from flake8_asyncblock.cli import main
from flake8_asyncblock.formats import help_uri

DATA = Path(__file__).parent / "data"
#: Vendored unchanged, with its licence beside it, so the test runs offline.
SARIF_SCHEMA = json.loads((DATA / "sarif-schema-2.1.0-rtm.5.json").read_text(encoding="utf-8"))
SLEEPY = "import time\n\n\nasync def poll():\n    time.sleep(1)\n"
ODD_NAMES = ["my file.py", "100%.py", "caf\u00e9.py", "sub dir/x#y?.py", "plain.py"]


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ODD_NAMES:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(SLEEPY, encoding="utf-8")
    return tmp_path


def _validator() -> jsonschema.Draft4Validator:
    """The schema is draft-04, whose own checker skips `uri-reference`: check every format."""
    return jsonschema.Draft4Validator(SARIF_SCHEMA, format_checker=jsonschema.FormatChecker())


def _output(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["check", *argv]) == 1
    return capsys.readouterr().out


def test_sarif_of_odd_paths_is_valid_against_the_official_schema(
    tree: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    outside = tree.parent / f"{tree.name} outside"
    outside.mkdir()
    (outside / "caf\u00e9.py").write_text(SLEEPY, encoding="utf-8")
    log = json.loads(_output(capsys, "--format", "sarif", *ODD_NAMES, str(outside / "caf\u00e9.py")))
    validator = _validator()
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(log)]
    assert errors == []
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in log["runs"][0]["results"]]
    assert uris == ["my%20file.py", "100%25.py", "caf%C3%A9.py", "sub%20dir/x%23y%3F.py",
                    "plain.py", (outside / "caf\u00e9.py").as_uri()]
    assert "%20outside/caf%C3%A9.py" in uris[-1]


def test_the_schema_check_does_reject_a_raw_uri(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The format checker is live: an unencoded space is refused, as SARIF1002 says."""
    log = json.loads(_output(capsys, "--format", "sarif", "my file.py"))
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"][
        "uri"] = "my file.py"
    validator = _validator()
    assert any("uri-reference" in e.message for e in validator.iter_errors(log))


def test_sarif_rules_link_their_docs_and_the_tool_its_home(
    tree: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    driver = json.loads(_output(capsys, "--format", "sarif", "plain.py"))["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == "https://github.com/pytest-loopguard/pytest-loopguard"
    rule = next(r for r in driver["rules"] if r["id"] == "ABL100")
    assert rule["helpUri"] == help_uri("ABL100") == (
        "https://github.com/pytest-loopguard/pytest-loopguard/blob/main/docs/rules.md"
        "#abl100-blocking-sleep")
    rules_md = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text("utf-8")
    assert "## ABL100 `blocking-sleep`" in rules_md  # the heading GitHub anchors that way


def test_gitlab_code_quality_report(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "plain.py").write_text(SLEEPY + "\n\nasync def again():\n    time.sleep(2)\n",
                                   encoding="utf-8")
    issues = json.loads(_output(capsys, "--format", "gitlab", "plain.py", "my file.py"))
    assert [(i["location"]["path"], i["location"]["lines"]["begin"], i["check_name"])
            for i in issues] == [("plain.py", 5, "ABL100"), ("plain.py", 9, "ABL100"),
                                 ("my file.py", 5, "ABL100")]
    assert len({i["fingerprint"] for i in issues}) == 3
    assert all(i["severity"] in {"info", "minor", "major", "critical", "blocker"} for i in issues)
    assert issues[0]["description"].startswith("ABL100 time.sleep() blocks")
    # A fingerprint survives the code moving down a line: GitLab then sees the same issue.
    (tree / "plain.py").write_text("\n" + (tree / "plain.py").read_text(), encoding="utf-8")
    moved = json.loads(_output(capsys, "--format", "gitlab", "plain.py", "my file.py"))
    assert [i["fingerprint"] for i in moved] == [i["fingerprint"] for i in issues]


def test_junit_report(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = ET.fromstring(_output(capsys, "--format", "junit", "plain.py", "100%.py"))
    assert root.tag == "testsuites" and root.get("failures") == "2"
    cases = root.findall("./testsuite/testcase")
    assert [(c.get("classname"), c.get("line")) for c in cases] == [("plain.py", "5"), ("100%.py", "5")]
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("type") == "ABL100"
    assert failure.text == ("plain.py:5:5: ABL100 time.sleep() blocks the event loop; "
                            "use await asyncio.sleep()")


def test_output_file_receives_the_report(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--format", "json", "--output-file", "report.json", "plain.py"]) == 1
    assert capsys.readouterr().out == ""
    assert json.loads((tree / "report.json").read_text())[0]["code"] == "ABL100"
    assert main(["check", "-o", "no/such/folder/r.json", "plain.py"]) == 2
    assert "--output-file: cannot write" in capsys.readouterr().err
