"""Create a fresh benchmark clinic in PostgreSQL: doctors, slots, patients, sessions.

`python -m bench.setup_db [--db NAME] [--patients N] ...` drops and re-creates
the database, migrates it, bulk-inserts the rows and writes the raw session
tokens to bench/results/sessions.json for the load driver.
"""

import argparse
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, create_engine, insert, text

from bench.common import DEFAULT_DB, PASSWORD, RESULTS_DIR, SESSIONS_FILE, db_url
from hms.db import make_engine
from hms.migrations import upgrade_to_head
from hms.models import AuthSession, DoctorProfile, PatientProfile, Slot, User
from hms.security import hash_password, hash_token, new_session_token

logger = logging.getLogger(__name__)

BATCH = 5_000
SPECIALTIES = ("Cardiology", "Dermatology", "General practice", "Neurology")


@dataclass(frozen=True)
class Shape:
    """How big the benchmark clinic is."""

    patients: int = 5_000
    # Throughput: each concurrent patient books its own doctor's office hours.
    pool_doctors: int = 64
    slots_per_doctor: int = 960
    # Contention: every run takes the next slot of this doctor.
    contention_slots: int = 64
    # Read path: 5,000 five-minute slots from tomorrow vs. 50 half-hour ones.
    big_doctor_slots: int = 5_000
    small_doctor_slots: int = 50


def recreate_database(name: str) -> str:
    """Drop and create database `name` on the loopback server; return its URL."""
    admin = create_engine(db_url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return db_url(name)


def _insert(conn: Connection, table, rows: list[dict]) -> list[int]:
    """Insert `rows` in batches; return the new ids in order when there are any."""
    ids: list[int] = []
    returning = "id" in table.c
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        if returning:
            query = insert(table).returning(table.c.id, sort_by_parameter_order=True)
            ids.extend(conn.execute(query, chunk).scalars())
        else:
            conn.execute(insert(table), chunk)
    return ids


def _users(conn: Connection, role: str, names: list[str], now: datetime) -> list[int]:
    password_hash = hash_password(PASSWORD)
    rows = [
        {
            "email": f"{name}@example.com",
            "email_key": f"{name}@example.com",
            "password_hash": password_hash,
            "role": role,
            "name": name.replace("-", " ").title(),
            "timezone": "UTC",
            "is_active": True,
            "created_at": now,
        }
        for name in names
    ]
    return _insert(conn, User.__table__, rows)


def _slot_rows(doctor_id: int, starts: list[datetime], minutes: int, now) -> list:
    length = timedelta(minutes=minutes)
    return [
        {
            "doctor_id": doctor_id,
            "start_at": start,
            "end_at": start + length,
            "state": "open",
            "created_at": now,
        }
        for start in starts
    ]


def office_hours(base: datetime, count: int) -> list[datetime]:
    """`count` half-hour starts, 09:00-17:00 UTC each day from `base` (a midnight)."""
    return [
        base + timedelta(days=n // 16, hours=9, minutes=30 * (n % 16))
        for n in range(count)
    ]


def back_to_back(base: datetime, count: int, minutes: int) -> list[datetime]:
    """`count` starts of `minutes`-long slots without gaps, from `base`."""
    return [base + timedelta(minutes=minutes * n) for n in range(count)]


def _sessions(conn: Connection, user_ids: list[int], now: datetime) -> list[str]:
    tokens = [new_session_token() for _ in user_ids]
    rows = [
        {
            "token_hash": hash_token(token),
            "user_id": user_id,
            "created_at": now,
            "expires_at": now + timedelta(days=30),
        }
        for token, user_id in zip(tokens, user_ids, strict=True)
    ]
    _insert(conn, AuthSession.__table__, rows)
    return tokens


def populate(url: str, shape: Shape) -> dict:
    """Insert the clinic into the migrated database at `url`; return the sessions."""
    now = datetime.now(UTC)
    base = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    engine = make_engine(url)
    with engine.begin() as conn:
        pool = _users(
            conn, "doctor", [f"doctor-{i}" for i in range(shape.pool_doctors)], now
        )
        names = ["doctor-big", "doctor-small", "doctor-contention"]
        big, small, contended = _users(conn, "doctor", names, now)
        doctors = [*pool, big, small, contended]
        profiles = [
            {"user_id": d, "specialty": SPECIALTIES[i % len(SPECIALTIES)], "bio": ""}
            for i, d in enumerate(doctors)
        ]
        _insert(conn, DoctorProfile.__table__, profiles)
        patients = _users(
            conn, "patient", [f"patient-{i}" for i in range(shape.patients)], now
        )
        _insert(
            conn,
            PatientProfile.__table__,
            [{"user_id": p, "phone": ""} for p in patients],
        )

        plan = [(d, office_hours(base, shape.slots_per_doctor), 30) for d in pool]
        plan += [
            (contended, office_hours(base, shape.contention_slots), 30),
            (big, back_to_back(base, shape.big_doctor_slots, 5), 5),
            (small, office_hours(base, shape.small_doctor_slots), 30),
        ]
        for doctor_id, starts, minutes in plan:
            _insert(conn, Slot.__table__, _slot_rows(doctor_id, starts, minutes, now))

        patient_tokens = _sessions(conn, patients, now)
        doctor_tokens = _sessions(conn, [big, small], now)
    engine.dispose()
    return {
        "url": url,
        "pool_doctors": pool,
        "contention_doctor": contended,
        "big_doctor": {
            "id": big,
            "token": doctor_tokens[0],
            "slots": shape.big_doctor_slots,
        },
        "small_doctor": {
            "id": small,
            "token": doctor_tokens[1],
            "slots": shape.small_doctor_slots,
        },
        "patients": [
            {"id": p, "email": f"patient-{i}@example.com", "token": t}
            for i, (p, t) in enumerate(zip(patients, patient_tokens, strict=True))
        ],
    }


def setup(name: str = DEFAULT_DB, shape: Shape = Shape()) -> dict:
    """Re-create, migrate and fill database `name`; write and return the sessions."""
    started = time.perf_counter()
    url = recreate_database(name)
    upgrade_to_head(make_engine(url))
    sessions = populate(url, shape)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    SESSIONS_FILE.write_text(json.dumps(sessions))
    logger.info(
        "bench database %s ready in %.1f s", name, time.perf_counter() - started
    )
    return sessions


def main() -> None:
    """Command line: set up the benchmark database."""
    parser = argparse.ArgumentParser(prog="python -m bench.setup_db")
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--patients", type=int, default=Shape.patients)
    parser.add_argument("--slots-per-doctor", type=int, default=Shape.slots_per_doctor)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    setup(
        args.db, Shape(patients=args.patients, slots_per_doctor=args.slots_per_doctor)
    )


if __name__ == "__main__":
    main()
