#!/usr/bin/env bash
# Shows both tools catching real blocking code under examples/.
# Run through `make demo`, which puts a virtual environment with the project on PATH.
set -uo pipefail
cd "$(dirname "$0")/.."

banner() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

expect_findings() {
    # The examples are meant to be caught: exit status 1 is the expected outcome,
    # 0 (nothing caught) or anything else (a crash or usage error) fails the demo.
    local status=$1 what=$2
    if [ "$status" -ne 1 ]; then
        echo "demo: expected $what to report the examples (exit 1), got exit $status" >&2
        exit 1
    fi
}

banner "pytest --loopguard=100ms examples/loopguard"
pytest --loopguard=100ms -p no:cacheprovider examples/loopguard
expect_findings $? "pytest --loopguard"

# The ABL rules alone, those on by default (--select ABL alone would add the default-off ones).
banner "flake8 --select ABL --extend-ignore ABL124,ABL141,ABL298 examples/"
flake8 --select ABL --extend-ignore ABL124,ABL141,ABL298 examples/
expect_findings $? "flake8 --select ABL --extend-ignore ABL124,ABL141,ABL298"

banner "asyncblock check examples/asyncblock"
asyncblock check examples/asyncblock
expect_findings $? "asyncblock check"

banner "asyncblock check --diff examples/asyncblock (the safe fixes, nothing written)"
asyncblock check --diff examples/asyncblock
expect_findings $? "asyncblock check --diff"

banner "demo done: both tools caught the blocking code above"
