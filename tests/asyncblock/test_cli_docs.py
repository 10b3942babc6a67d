"""docs/cli.md documents every flag of `asyncblock check`.

Its table of fixes is rendered by docs/generate_rules.py and checked in test_docs.py.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI_MD = ROOT / "docs" / "cli.md"


def test_options_table_lists_every_flag() -> None:
    from flake8_asyncblock.cli import build_parser

    parser = build_parser()
    check = parser._subparsers._group_actions[0].choices["check"]  # type: ignore[union-attr]
    text = CLI_MD.read_text(encoding="utf-8")
    flags = [o for a in check._actions for o in a.option_strings if o.startswith("--")]
    missing = [flag for flag in flags if flag != "--help" and f"`{flag}" not in text]
    assert missing == []



def test_the_documented_flake8_command_runs_exactly_the_default_rules(tmp_path: Path) -> None:
    import re
    import subprocess
    import sys

    from flake8_asyncblock.registry import RULES

    off = ",".join(rule.code for rule in RULES if not rule.default_enabled)
    command = f"flake8 --select ABL --extend-ignore {off}"
    assert f"{command} src/" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"{command} examples/" in (ROOT / "examples" / "demo.sh").read_text(encoding="utf-8")
    (tmp_path / "app.py").write_text(
        "import os\nimport time\n\n\nasync def poll(counter):\n    time.sleep(1)\n"
        "    while counter > 0:\n        counter -= 1\n    os.path.exists('x')\n",
        encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", *command.split()[0:1], *command.split()[1:],
                             "--isolated", "app.py"], capture_output=True, text=True,
                            cwd=tmp_path, check=False)
    assert re.findall(r"ABL\d+", result.stdout) == ["ABL100"]
    both = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", "ABL",
                           "app.py"], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert sorted(re.findall(r"ABL\d+", both.stdout)) == ["ABL100", "ABL124", "ABL141"]
