"""Settings read once from the environment (and a `.env` file when present)."""

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from dotenv import load_dotenv

ROOT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = ROOT_DIR / "var" / "hms.db"
DEFAULT_MAIL_DIR = ROOT_DIR / "var" / "mail"
DEV_SECRET_KEY = "dev-only-insecure-secret-key"

load_dotenv(ROOT_DIR / ".env")


class ConfigError(RuntimeError):
    """Raised when the environment describes an unusable configuration."""


def normalize_database_url(url: str) -> str:
    """Return `url` with a driver SQLAlchemy can load with our packages.

    SQLAlchemy 2.1 reads a bare `postgresql://` as psycopg 3; we ship psycopg2.
    """
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def _database_url_from_parts(env: dict[str, str]) -> str | None:
    """Build a PostgreSQL URL from the Django-style DB_* variables, if given."""
    name = env.get("DB_NAME")
    if not name:
        return None
    # Empty values count as unset, as they do in the Django settings we replace.
    user = quote(env.get("DB_USER") or "postgres", safe="")
    password = env.get("DB_PASSWORD")
    credentials = f"{user}:{quote(password, safe='')}" if password else user
    host = env.get("DB_HOST") or "127.0.0.1"
    port = env.get("DB_PORT") or "5432"
    return f"postgresql+psycopg2://{credentials}@{host}:{port}/{quote(name)}"


def _database_url(env: dict[str, str]) -> str:
    url = env.get("DATABASE_URL") or _database_url_from_parts(env)
    if not url:
        DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    return normalize_database_url(url)


def _flag(env: dict[str, str], name: str, default: bool) -> bool:
    value = env.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _number(env: dict[str, str], name: str, default: int) -> int:
    value = (env.get(name) or "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}.") from None


@dataclass(frozen=True)
class Settings:
    """Every setting HMS reads, with the defaults of the embedded set-up."""

    environment: str
    database_url: str
    secret_key: str
    db_pool_size: int
    email_lambda_url: str | None
    email_service_token: str | None
    mail_dir: Path
    google_client_id: str | None
    google_client_secret: str | None
    google_redirect_uri: str
    redis_url: str | None
    run_outbox_in_app: bool
    session_days: int

    @property
    def is_sqlite(self) -> bool:
        """True when the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")

    @property
    def google_enabled(self) -> bool:
        """True when Google Calendar credentials are configured."""
        return bool(self.google_client_id and self.google_client_secret)


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read the settings from `env` (default: the process environment).

    Raises:
        ConfigError: a placeholder secret outside development.
    """
    env = dict(os.environ if env is None else env)
    environment = env.get("HMS_ENV", "development")
    secret_key = env.get("SECRET_KEY") or DEV_SECRET_KEY
    if environment != "development" and secret_key == DEV_SECRET_KEY:
        raise ConfigError("Set SECRET_KEY to a long random value in production.")

    return Settings(
        environment=environment,
        database_url=_database_url(env),
        secret_key=secret_key,
        db_pool_size=_number(env, "DB_POOL_SIZE", 10),
        email_lambda_url=env.get("EMAIL_LAMBDA_URL") or None,
        email_service_token=env.get("EMAIL_SERVICE_TOKEN") or None,
        mail_dir=Path(env.get("MAIL_DIR") or DEFAULT_MAIL_DIR),
        google_client_id=env.get("GOOGLE_CLIENT_ID") or None,
        google_client_secret=env.get("GOOGLE_CLIENT_SECRET") or None,
        google_redirect_uri=env.get(
            "GOOGLE_REDIRECT_URI",
            "http://localhost:3000/integrations/google/oauth2/callback/",
        ),
        redis_url=env.get("REDIS_URL") or env.get("REFLEX_REDIS_URL") or None,
        run_outbox_in_app=_flag(env, "HMS_OUTBOX_IN_APP", True),
        session_days=_number(env, "HMS_SESSION_DAYS", 14),
    )


settings = load_settings()
