"""Alembic environment for `alembic ...` run by hand and for hms.migrations.

`reflex db ...` configures its own context and does not read this file; both
use the same URL and metadata.
"""

from logging.config import fileConfig

from alembic import context
from sqlmodel import SQLModel

import hms.models  # noqa: F401  (registers the tables)
from hms.db import make_engine

config = context.config
if config.config_file_name is not None and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    """Run the migrations on the caller's connection or the configured database."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return

    from hms.config import settings

    with make_engine(settings.database_url).connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
