"""The migrations build the schema the models and the overlap rules need."""

import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, make_url, text
from sqlmodel import SQLModel

from hms.config import ROOT_DIR
from hms.db import make_engine
from hms.migrations import upgrade_to_head
from tests.conftest import ADMIN_DATABASE_URL

pytestmark = pytest.mark.postgres

EXCLUSIONS = {
    "ex_slot_no_overlap": "slot",
    "ex_appointment_patient_no_overlap": "appointment",
}


def _config() -> Config:
    config = Config(str(ROOT_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT_DIR / "alembic"))
    return config


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def test_migrated_version_is_head(pg_engine):
    """The test database sits at the newest revision, which descends from 0001_initial."""
    scripts = _scripts()
    with pg_engine.connect() as conn:
        version = conn.execute(
            text("SELECT version_num FROM alembic_version")
        ).scalar_one()

    assert version == scripts.get_current_head()
    ancestry = {rev.revision for rev in scripts.walk_revisions("base", version)}
    assert "0001_initial" in ancestry


def test_migrated_schema_has_exclusion_constraints(pg_engine):
    """Both overlap rules exist as exclusion constraints on their tables."""
    query = text(
        "SELECT c.conname, t.relname, pg_get_constraintdef(c.oid) "
        "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
        "WHERE c.contype = 'x'"
    )
    with pg_engine.connect() as conn:
        found = {
            name: (table, definition) for name, table, definition in conn.execute(query)
        }

    assert {name: table for name, (table, _) in found.items()} == EXCLUSIONS
    slot_definition = found["ex_slot_no_overlap"][1]
    assert "tstzrange(start_at, end_at, '[)'::text) WITH &&" in slot_definition
    assert "removed" in slot_definition
    assert "booked" in found["ex_appointment_patient_no_overlap"][1]


def test_migrated_schema_has_partial_unique_index(pg_engine):
    """One booked appointment per slot is a unique index limited to booked rows."""
    query = text(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_appointment_active_slot'"
    )
    with pg_engine.connect() as conn:
        definition = conn.execute(query).scalar_one()

    assert definition.startswith("CREATE UNIQUE INDEX")
    assert "(slot_id)" in definition
    assert "WHERE" in definition and "booked" in definition


def test_migrated_schema_matches_models(pg_engine):
    """Autogenerate finds no difference between the migrations and the models."""
    with pg_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)

    assert diff == []


def test_migrations_downgrade_and_upgrade_again():
    """Downgrading to base empties a database and upgrading rebuilds it."""
    name = f"hms_mig_{uuid.uuid4().hex[:10]}"
    admin = make_engine(ADMIN_DATABASE_URL, pool_size=1)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(ADMIN_DATABASE_URL).set(database=name)
    engine = make_engine(url.render_as_string(hide_password=False), pool_size=1)
    try:
        upgrade_to_head(engine)
        config = _config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        upgrade_to_head(engine)
        assert {"slot", "appointment", "user"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
