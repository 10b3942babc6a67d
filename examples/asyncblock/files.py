"""A report exporter whose coroutines read, write and copy files on the event loop."""

from __future__ import annotations

import asyncio
import csv
import json
import shutil
from pathlib import Path

EXPORT_ROOT = Path("/var/lib/reports")


async def load_template(name: str) -> str:
    return (EXPORT_ROOT / "templates" / name).read_text()  # ABL121


async def write_report(report_id: str, rows: list[dict]) -> Path:
    target = EXPORT_ROOT / f"{report_id}.csv"
    with open(target, "w", newline="") as fh:  # ABL120
        writer = csv.DictWriter(fh, fieldnames=sorted(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return target


async def publish(report_id: str, outbox: Path) -> None:
    source = EXPORT_ROOT / f"{report_id}.csv"
    shutil.copy2(source, outbox / source.name)  # ABL122
    manifest = {"report": report_id, "files": [p.name for p in outbox.iterdir()]}  # ABL123
    await asyncio.to_thread((outbox / "manifest.json").write_text, json.dumps(manifest))
