"""Local server: ``python -m email_service`` serves http://127.0.0.1:8025/email."""

from __future__ import annotations

import argparse
import logging
import os
import sys

import uvicorn

from email_service.http_app import create_app, is_loopback
from email_service.settings import EmailSettings

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8025


def main(argv: list[str] | None = None) -> int:
    """Serve ``POST /email`` with uvicorn until interrupted.

    Without EMAIL_SERVICE_TOKEN the server serves unauthenticated requests,
    but only when bound to loopback; asked to listen elsewhere without a token
    it refuses to start, since it would be an open relay.

    Args:
        argv: Command-line arguments; ``sys.argv[1:]`` when ``None``.

    Returns:
        The process exit status.
    """
    _load_dotenv()
    args = _parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = EmailSettings.from_env()

    anonymous = settings.token is None
    if anonymous and not is_loopback(args.host):
        logger.error("refusing to serve %s without EMAIL_SERVICE_TOKEN", args.host)
        return 2
    app = create_app(settings=settings, allow_anonymous=anonymous)
    logger.info("email function on http://%s:%d/email", args.host, args.port)
    # Off: the core already logs one JSON line per request.
    uvicorn.run(app, host=args.host, port=args.port, access_log=False)
    return 0


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read --host and --port, defaulting to EMAIL_SERVICE_HOST/PORT."""
    parser = argparse.ArgumentParser(
        prog="python -m email_service", description=__doc__
    )
    parser.add_argument(
        "--host",
        default=os.environ.get("EMAIL_SERVICE_HOST", DEFAULT_HOST),
        help="address to listen on; beyond loopback needs EMAIL_SERVICE_TOKEN",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("EMAIL_SERVICE_PORT", DEFAULT_PORT)),
        help="port to listen on (default 8025)",
    )
    return parser.parse_args(argv)


def _load_dotenv() -> None:
    """Read a ``.env`` file like the app does, when python-dotenv is installed."""
    try:
        from dotenv import load_dotenv
    except ImportError:
        return
    load_dotenv()


if __name__ == "__main__":
    sys.exit(main())
