"""Output formats of `asyncblock check`: text, json, sarif (2.1.0) and github workflow commands."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from flake8_asyncblock import __version__
from flake8_asyncblock.fixes import fix_safety
from flake8_asyncblock.registry import RULES, by_code
from flake8_asyncblock.results import Finding

__all__ = ["FORMATS", "STREAMED", "render"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _text(findings: Sequence[Finding]) -> str:
    return "".join(f"{f.path}:{f.line}:{f.col}: {f.code} {f.text}\n" for f in findings)


def _json(findings: Sequence[Finding]) -> str:
    items = [
        {
            "path": f.path, "line": f.line, "column": f.col, "code": f.code,
            "slug": by_code(f.code).slug, "message": f.text, "fix": fix_safety(by_code(f.code).fix),
        }
        for f in findings
    ]
    return json.dumps(items, indent=2) + "\n"


def _uri(path: str) -> str:
    """A relative URI with forward slashes when the file is under the cwd, else a file URI."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_uri()


def _sarif(findings: Sequence[Finding]) -> str:
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
        }
        for rule in RULES
    ]
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
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(log, indent=2) + "\n"


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


FORMATS: dict[str, Callable[[Sequence[Finding]], str]] = {
    "text": _text, "json": _json, "sarif": _sarif, "github": _github,
}


#: Formats written finding by finding, as files finish; the others are one document.
STREAMED = frozenset({"text", "github"})


def render(name: str, findings: Sequence[Finding]) -> str:
    """Return the findings in format `name` (one of FORMATS)."""
    return FORMATS[name](findings)
