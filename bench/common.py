"""Shared bits of the benchmarks: paths, database URLs, figures and timing."""

import json
import logging
import math
import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

BENCH_DIR = Path(__file__).resolve().parent
ROOT_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
SESSIONS_FILE = RESULTS_DIR / "sessions.json"
PG_SERVER = os.environ.get("BENCH_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432")
DEFAULT_DB = "hms_bench"
DEFAULT_PORT = 3200
PASSWORD = "bench-password-1"


def db_url(name: str = DEFAULT_DB) -> str:
    """The SQLAlchemy URL of database `name` on the loopback PostgreSQL."""
    return f"{PG_SERVER}/{name}"


def percentile(values: list[float], pct: float) -> float:
    """The `pct` percentile (nearest rank) of `values`; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(0, math.ceil(pct / 100 * len(ordered)) - 1)
    return ordered[rank]


@dataclass
class Figures:
    """The outcome of one scenario run: counts, latencies (s) and extras."""

    name: str
    counts: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)

    def count(self, key: str, n: int = 1) -> None:
        """Add `n` to counter `key`."""
        self.counts[key] = self.counts.get(key, 0) + n

    def summary(self) -> dict[str, object]:
        """A flat dict of the figures, latencies in milliseconds."""
        ms = [1000 * v for v in self.latencies]
        out: dict[str, object] = {"scenario": self.name, "errors": 0, **self.counts}
        if ms:
            out |= {
                "p50_ms": round(percentile(ms, 50), 1),
                "p95_ms": round(percentile(ms, 95), 1),
                "p99_ms": round(percentile(ms, 99), 1),
                "mean_ms": round(statistics.fmean(ms), 1),
            }
        out["elapsed_s"] = round(self.elapsed, 2)
        return out | self.extra


def report(figures: Figures) -> dict[str, object]:
    """Print one scenario's figures as a line of JSON and append them to a log."""
    summary = figures.summary()
    line = json.dumps(summary, default=str)
    print(line, flush=True)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    with (RESULTS_DIR / "figures.jsonl").open("a") as log:
        log.write(json.dumps({"at": time.strftime("%FT%T"), **summary}, default=str))
        log.write("\n")
    return summary


def load_sessions() -> dict:
    """The users and raw session tokens written by bench.setup_db."""
    return json.loads(SESSIONS_FILE.read_text())


def db_counts(url: str) -> dict[str, int]:
    """Rows that tell what a run left behind: appointments, booked slots, outbox."""
    from sqlalchemy import create_engine, text

    queries = {
        "db_appointments": "SELECT count(*) FROM appointment WHERE status = 'booked'",
        "db_booked_slots": "SELECT count(*) FROM slot WHERE state = 'booked'",
        "db_outbox_rows": "SELECT count(*) FROM outbox_message",
    }
    engine = create_engine(url)
    with engine.connect() as conn:
        counts = {
            name: conn.execute(text(sql)).scalar_one() for name, sql in queries.items()
        }
    engine.dispose()
    return counts
