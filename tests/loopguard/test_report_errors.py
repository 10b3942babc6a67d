"""Internal error records: grouped, merged across xdist workers, rendered for the summary."""

from __future__ import annotations

from pytest_loopguard.records import error_records, merge_error_records
from pytest_loopguard.report import internal_error_lines


def test_internal_errors_are_grouped_by_error_and_line_and_all_counted() -> None:
    def fail(message: str) -> BaseException:
        try:
            raise ValueError(message)
        except ValueError as exc:
            return exc

    records = error_records([fail("a"), fail("a"), fail("b")], None)
    assert [(r["error"], r["count"]) for r in records] == [("ValueError: a", 2), ("ValueError: b", 1)]
    assert records[0]["where"].endswith(" in fail")
    merged = merge_error_records([*records, {**records[1], "count": 4}])
    assert [r["count"] for r in merged] == [2, 5]
    assert internal_error_lines(9, merged) == [
        "loopguard: 9 internal errors; loops or stalls may have gone unwatched",
        f"     2x ValueError: a (at {records[0]['where']})",
        f"     5x ValueError: b (at {records[1]['where']})",
        "  (2 more not kept)",
    ]
