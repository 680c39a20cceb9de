"""Apply the Alembic migrations to a given engine (tests, seed, scripts)."""

import logging

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from hms.config import ROOT_DIR

logger = logging.getLogger(__name__)


def upgrade_to_head(engine: Engine) -> None:
    """Bring the database behind `engine` to the newest schema."""
    config = Config(str(ROOT_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT_DIR / "alembic"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
