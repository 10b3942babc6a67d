"""StallDetector at a phase end: a stretch still under way is charged once, its end folded in."""

from __future__ import annotations

import asyncio

from detector_fakes import THRESHOLD, run, write_app

from pytest_loopguard.attribution import finals, settle_finals, settle_late
from pytest_loopguard.stall import Stall


def test_a_stall_still_under_way_is_charged_once_and_its_end_is_late(
    detector, clock, frames, tmp_path
):
    frames.show((write_app(tmp_path), 2, "work"))
    charged: list[list[Stall]] = []

    async def main():
        detector.sample()
        clock.advance(0.06)
        detector.sample()  # sampled: the line is known
        clock.advance(0.09)
        detector.charge_in_flight()  # the phase ends, 150 ms into the stretch
        charged.append(detector.drain())
        clock.advance(0.1)
        detector.charge_in_flight()  # the next phase ends: already charged
        charged.append(detector.drain())
        clock.advance(0.05)
        await asyncio.sleep(0)

    run(main())
    [[stall], []] = charged
    assert stall.still_blocked and not stall.late
    assert abs(stall.duration_seconds - 0.15) < 1e-9
    assert stall.blocking_frame.lineno == 2
    [late] = detector.drain()
    assert late.late and late.started_at == stall.started_at
    assert abs(late.duration_seconds - 0.3) < 1e-9


def test_a_stretch_under_the_threshold_at_the_phase_end_is_left_to_its_end(detector, clock):
    async def main():
        clock.advance(0.05)
        detector.charge_in_flight()
        assert detector.drain() == []
        clock.advance(0.1)
        await asyncio.sleep(0)

    run(main())
    [stall] = detector.drain()  # crossed the threshold later: a stall of that later phase
    assert not stall.still_blocked and not stall.late


def test_a_stretch_long_only_by_waiting_for_a_cpu_is_not_charged(
    detector, clock, frames, schedstat, tmp_path
):
    frames.show((write_app(tmp_path), 2, "work"))

    async def main():
        detector.sample()
        clock.advance(0.03)
        schedstat.wait_for_cpu(0.03)
        detector.sample()
        schedstat.wait_for_cpu(0.2)
        detector.charge_in_flight()
        assert detector.drain() == []
        await asyncio.sleep(0)

    run(main())
    assert detector.drain() == []
    assert detector.starved == 1


def test_an_unsampled_stretch_is_charged_only_if_its_thread_surely_slept(detector, schedstat):
    async def main():
        detector.sample()
        schedstat.wait_for_cpu(0.3)  # runnable, no CPU: maybe starvation, not charged
        detector.charge_in_flight()
        assert detector.drain() == []
        await asyncio.sleep(0)
        detector.sample()
        schedstat.sleep(0.3)  # a C call that sleeps: charged
        detector.charge_in_flight()
        [stall] = detector.drain()
        assert stall.still_blocked and stall.blocking_frame is None
        await asyncio.sleep(0)

    run(main())
    [late] = detector.drain()
    assert late.late


def record(**changes: object) -> Stall:
    fields: dict[str, object] = {
        "duration_seconds": 0.15, "threshold_seconds": THRESHOLD, "loop_kind": "asyncio",
        "thread_name": "server", "started_at": 5.0, "test_id": "t.py::a", "phase": "call",
        "still_blocked": True,
    }
    fields.update(changes)
    return Stall(**fields)  # type: ignore[arg-type]


def test_the_final_length_goes_to_the_charged_record_and_charges_no_phase() -> None:
    records = [record(), record(started_at=9.0, test_id="t.py::b")]
    other = record(still_blocked=False, test_id="")
    late = record(duration_seconds=0.6, late=True, still_blocked=False, test_id="")
    assert settle_late(records, [late, other]) == [other]
    assert [r.final_duration_seconds for r in records] == [0.6, None]


def test_a_workers_final_lengths_reach_the_controllers_records() -> None:
    worker = [record(final_duration_seconds=0.6)]
    controller = [record(), record(test_id="t.py::b")]
    settle_finals(controller, finals(worker))
    assert [r.final_duration_seconds for r in controller] == [0.6, None]
