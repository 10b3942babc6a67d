"""Render the options and exit-status tables of docs/cli.md from the options table.

`python docs/generate_cli.py` rewrites the tables between their markers;
`--check` exits 1 when the file is stale (a test runs it).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flake8_asyncblock.options import OPTIONS  # noqa: E402
from flake8_asyncblock.report import Exit  # noqa: E402

CLI_DOC = ROOT / "docs" / "cli.md"
EXIT_MEANINGS = {
    Exit.CLEAN: "Nothing found (with `--fix`: nothing left after fixing).",
    Exit.FINDINGS: "Findings (with `--fix`: findings left), or a file has a syntax error.",
    Exit.USAGE: "Usage error: bad flag, bad config, unknown code, missing path.",
    Exit.FILE_ERROR: "A file or folder could not be read, or a fix could not be written "
                     "(whatever else was found).",
    Exit.INTERRUPTED: "Interrupted (Ctrl-C).",
}


def options_table() -> str:
    rows = ["| Flag | Config key | Type | Default | Meaning |", "|---|---|---|---|---|"]
    for option in OPTIONS:
        if "cli" in option.where:
            flag = f"`{option.flag}`" if option.switch else f"`{option.flag} {option.metavar}`"
            if option.short:
                flag += f", `{option.short}`"
        else:
            flag = ""
        key = f"`{option.name}`" if "config" in option.where else ""
        default = "" if option.switch else option.shown_default
        rows.append(f"| {flag} | {key} | {option.kind} | {default} | {option.help} |")
    return "\n".join(rows)


def exit_table() -> str:
    rows = ["| Status | Meaning |", "|---|---|"]
    rows += [f"| {int(status)} | {EXIT_MEANINGS[status]} |" for status in Exit]
    return "\n".join(rows)


def render(text: str) -> str:
    for name, table in (("options-table", options_table()), ("exit-table", exit_table())):
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = f"{before}{start}\n{table}\n{end}{after}"
    return text


def main(argv: list[str]) -> int:
    current = CLI_DOC.read_text(encoding="utf-8")
    fresh = render(current)
    if "--check" in argv:
        if fresh != current:
            print(f"{CLI_DOC} is stale: run python docs/generate_cli.py", file=sys.stderr)
            return 1
        return 0
    CLI_DOC.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
