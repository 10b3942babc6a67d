"""Output formats of `asyncblock check`: text, json, sarif (2.1.0), github, gitlab and junit.

SARIF carries each rule's documentation and the project's addresses: the
rule classes and the installed metadata load only when a SARIF log is
written, so that the options table (which lists the formats) stays cheap.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flake8_asyncblock import __version__
from flake8_asyncblock.catalog import entry
from flake8_asyncblock.results import Finding

__all__ = ["FORMATS", "STREAMED", "render"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _dumps(document: Any) -> str:
    """The JSON formats' text; json loads only for them (the text format is what most runs print)."""
    import json

    return json.dumps(document, indent=2) + "\n"


def _text(findings: Sequence[Finding]) -> str:
    return "".join(f"{f.path}:{f.line}:{f.col}: {f.code} {f.text}\n" for f in findings)


def _json(findings: Sequence[Finding]) -> str:
    items = [
        {
            "path": f.path, "line": f.line, "column": f.col, "code": f.code,
            "slug": entry(f.code).slug, "message": f.text, "fix": entry(f.code).fix,
        }
        for f in findings
    ]
    return _dumps(items)


def _uri(path: str) -> str:
    """A relative URI reference (RFC 3986, percent-encoded) under the cwd, else a file URI."""
    absolute = Path(os.path.abspath(path))
    try:
        return quote(absolute.relative_to(Path.cwd()).as_posix(), safe="/")
    except ValueError:
        return absolute.as_uri()


@lru_cache(maxsize=1)
def _project_urls() -> dict[str, str]:
    """`project.urls` of the installed distribution (empty when run from a bare checkout)."""
    from importlib import metadata

    try:
        entries = metadata.metadata("pytest-loopguard").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return {}
    return dict(tuple(part.strip() for part in line.split(",", 1)) for line in entries
                if "," in line)


def help_uri(code: str) -> str | None:
    """The address of a rule's section in docs/rules.md."""
    source = _project_urls().get("Source")
    if source is None:
        return None
    rule = entry(code)
    return f"{source}/blob/main/docs/rules.md#{rule.code.lower()}-{rule.slug}"


def _sarif(findings: Sequence[Finding]) -> str:
    from flake8_asyncblock.fixes import fix_safety
    from flake8_asyncblock.registry import RULES

    index = {rule.code: i for i, rule in enumerate(RULES)}
    rules = [
        {
            "id": rule.code,
            "name": "".join(part.capitalize() for part in rule.slug.split("-")),
            "shortDescription": {"text": f"{rule.code} {rule.slug}: {rule.summary}"},
            "fullDescription": {"text": rule.why},
            "help": {"text": f"{rule.why} Fix: {fix_safety(rule.fix) or 'none'}."},
            "defaultConfiguration": {"level": "warning"},
            "properties": {"fix": fix_safety(rule.fix) or "none"},
            **({"helpUri": uri} if (uri := help_uri(rule.code)) else {}),
        }
        for rule in RULES
    ]
    home = _project_urls().get("Homepage")
    results = [
        {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": "warning",
            "message": {"text": f.text},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(f.path)},
                    "region": {"startLine": f.line, "startColumn": f.column},
                },
            }],
        }
        for f in findings
    ]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "asyncblock", "version": __version__, "rules": rules,
                **({"informationUri": home} if home else {}),
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return _dumps(log)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github(findings: Sequence[Finding]) -> str:
    return "".join(
        f"::warning file={_escape_property(f.path)},line={f.line},col={f.column},"
        f"title={_escape_property(f.code)}::{_escape_data(f.code + ' ' + f.text)}\n"
        for f in findings
    )


def _gitlab(findings: Sequence[Finding]) -> str:
    """GitLab Code Quality: a fingerprint that survives lines moving (path, code, message, n-th)."""
    seen: Counter[tuple[str, str, str]] = Counter()
    issues = []
    for f in findings:
        key = (f.path, f.code, f.text)
        seen[key] += 1
        digest = hashlib.sha256("\0".join((*key, str(seen[key]))).encode()).hexdigest()
        issues.append({
            "type": "issue", "check_name": f.code, "description": f"{f.code} {f.text}",
            "categories": ["Performance"], "severity": "major", "fingerprint": digest,
            "location": {"path": Path(f.path).as_posix(), "lines": {"begin": f.line}},
        })
    return _dumps(issues)


def _junit(findings: Sequence[Finding]) -> str:
    """JUnit XML: one test case per finding, failing, grouped in one suite."""
    import xml.etree.ElementTree as ET  # loads only for this format

    suites = ET.Element("testsuites", name="asyncblock", tests=str(len(findings)),
                        failures=str(len(findings)))
    suite = ET.SubElement(suites, "testsuite", name="asyncblock", tests=str(len(findings)),
                          failures=str(len(findings)), errors="0")
    for f in findings:
        case = ET.SubElement(suite, "testcase", name=f"{f.code} at line {f.line}",
                             classname=Path(f.path).as_posix(), file=Path(f.path).as_posix(),
                             line=str(f.line))
        failure = ET.SubElement(case, "failure", message=f"{f.code} {f.text}", type=f.code)
        failure.text = f"{f.path}:{f.line}:{f.col}: {f.code} {f.text}"
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


FORMATS: dict[str, Callable[[Sequence[Finding]], str]] = {
    "text": _text, "full": _text, "json": _json, "sarif": _sarif, "github": _github, "gitlab": _gitlab,
    "junit": _junit,
}


#: Formats written finding by finding, as files finish; the others are one document.
#: `text` and `full` are rendered by text.py (`full`: the text with the source around each finding).
STREAMED = frozenset({"text", "full", "github"})


def render(name: str, findings: Sequence[Finding]) -> str:
    """Return the findings in format `name` (one of FORMATS)."""
    return FORMATS[name](findings)
