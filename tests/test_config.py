"""Settings from the environment: database URLs and refused placeholders."""

import pytest
from sqlalchemy import make_url

from hms.config import (
    DEV_SECRET_KEY,
    ConfigError,
    load_settings,
    normalize_database_url,
)

SQLITE_URL = "sqlite:///ignored.db"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db:5432/hms", "postgresql+psycopg2://u:p@db:5432/hms"),
        ("postgresql://u:p@db:5432/hms", "postgresql+psycopg2://u:p@db:5432/hms"),
        ("postgresql+psycopg://u@db/hms", "postgresql+psycopg2://u@db/hms"),
        ("postgresql+psycopg2://u@db/hms", "postgresql+psycopg2://u@db/hms"),
        ("sqlite:///var/hms.db", "sqlite:///var/hms.db"),
    ],
)
def test_normalize_database_url_uses_psycopg2(given, expected):
    """Every PostgreSQL spelling becomes psycopg2; other URLs stay as they are."""
    assert normalize_database_url(given) == expected


def test_load_settings_database_url_normalized():
    """DATABASE_URL is read and normalised."""
    settings = load_settings({"DATABASE_URL": "postgres://hms@db.internal/clinic"})

    assert settings.database_url == "postgresql+psycopg2://hms@db.internal/clinic"
    assert not settings.is_sqlite


def test_load_settings_db_parts_build_url():
    """DB_NAME, DB_USER, DB_PASSWORD, DB_HOST and DB_PORT build a psycopg2 URL."""
    settings = load_settings(
        {
            "DB_NAME": "clinic",
            "DB_USER": "hms",
            "DB_PASSWORD": "s3cret",
            "DB_HOST": "db.internal",
            "DB_PORT": "6543",
        }
    )

    assert (
        settings.database_url
        == "postgresql+psycopg2://hms:s3cret@db.internal:6543/clinic"
    )


def test_load_settings_db_password_quoted():
    """Special characters in DB_PASSWORD and DB_USER survive as the same values."""
    password = "p@ss:w/rd?#%"
    settings = load_settings(
        {"DB_NAME": "clinic", "DB_USER": "me@corp", "DB_PASSWORD": password}
    )

    url = make_url(settings.database_url)
    assert (url.username, url.password) == ("me@corp", password)
    assert (url.host, url.port, url.database) == ("127.0.0.1", 5432, "clinic")
    assert url.drivername == "postgresql+psycopg2"


def test_load_settings_db_parts_defaults():
    """Only DB_NAME given: user postgres, no password, 127.0.0.1:5432."""
    settings = load_settings({"DB_NAME": "clinic"})

    assert (
        settings.database_url == "postgresql+psycopg2://postgres@127.0.0.1:5432/clinic"
    )


def test_load_settings_database_url_wins_over_parts():
    """DATABASE_URL takes precedence over the DB_* variables."""
    settings = load_settings({"DATABASE_URL": "postgresql://a@b/c", "DB_NAME": "other"})

    assert settings.database_url == "postgresql+psycopg2://a@b/c"


@pytest.mark.parametrize("secret", [None, "", DEV_SECRET_KEY])
def test_load_settings_placeholder_secret_refused_in_production(secret):
    """Production refuses a missing or placeholder SECRET_KEY."""
    env = {"HMS_ENV": "production", "DATABASE_URL": SQLITE_URL}
    if secret is not None:
        env["SECRET_KEY"] = secret

    with pytest.raises(ConfigError):
        load_settings(env)


def test_load_settings_real_secret_accepted_in_production():
    """Production starts with a real SECRET_KEY."""
    settings = load_settings(
        {"HMS_ENV": "production", "SECRET_KEY": "x" * 48, "DATABASE_URL": SQLITE_URL}
    )

    assert (settings.environment, settings.secret_key) == ("production", "x" * 48)


def test_load_settings_development_allows_placeholder():
    """Development runs with the built-in placeholder secret."""
    settings = load_settings({"DATABASE_URL": SQLITE_URL})

    assert settings.environment == "development"
    assert settings.secret_key == DEV_SECRET_KEY
    assert settings.is_sqlite


def test_load_settings_empty_db_parts_use_defaults():
    """Empty DB_USER, DB_HOST and DB_PORT (as Django and deploy tools pass them)
    fall back to the defaults instead of building a broken URL."""
    settings = load_settings(
        {
            "DB_NAME": "clinic",
            "DB_USER": "",
            "DB_PASSWORD": "",
            "DB_HOST": "",
            "DB_PORT": "",
        }
    )

    assert (
        settings.database_url == "postgresql+psycopg2://postgres@127.0.0.1:5432/clinic"
    )


def test_load_settings_empty_numbers_use_defaults():
    """Empty DB_POOL_SIZE and HMS_SESSION_DAYS fall back to their defaults."""
    settings = load_settings(
        {"DATABASE_URL": SQLITE_URL, "DB_POOL_SIZE": "", "HMS_SESSION_DAYS": ""}
    )

    assert (settings.db_pool_size, settings.session_days) == (10, 14)
