"""Print the Python matrix's outcome per interpreter, from nox's --report file.

Exits 1 when no interpreter ran the suite at all: skipping every Python is not a pass.
"""

from __future__ import annotations

import json
import sys


def main(path: str) -> int:
    with open(path, encoding="utf-8") as file:
        sessions = json.load(file)["sessions"]
    print("Python matrix:")
    for session in sessions:
        name = ", ".join(session["signatures"]) or session["name"]
        reason = f" ({session['reason']})" if session.get("reason") else ""
        print(f"  {name:<12} {session['result']:<8} {session['duration']:7.0f} s{reason}")
    if not any(session["result"] == "success" for session in sessions):
        print("make test: no Python ran the suite", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
