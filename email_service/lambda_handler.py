"""AWS Lambda entry point: the Starlette app behind the Mangum adapter."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from mangum import Mangum

if TYPE_CHECKING:
    from email_service.settings import EmailSettings

logger = logging.getLogger(__name__)


def _load_package() -> ModuleType:
    """Import ``email_service``, also when deployed flat by serverless.

    ``serverless.yml`` sits inside this folder, so serverless zips the
    folder's files at the root of the bundle and Lambda imports this file as
    the top-level module ``lambda_handler``. Registering the folder under its
    package name lets every ``email_service.*`` import work unchanged.
    """
    if __package__:
        return importlib.import_module(__package__)
    folder = Path(__file__).resolve().parent
    spec = importlib.util.spec_from_file_location(
        "email_service",
        folder / "__init__.py",
        submodule_search_locations=[str(folder)],
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules["email_service"] = package
    spec.loader.exec_module(package)
    return package


def make_handler(*, settings: EmailSettings | None = None) -> Mangum:
    """Build the Lambda handler.

    Anonymous requests are never served here: without EMAIL_SERVICE_TOKEN the
    function answers 401 to everyone rather than relay mail for anyone.

    Args:
        settings: Delivery settings and token; read from the environment when ``None``.

    Returns:
        A callable ``handler(event, context)`` for API Gateway HTTP API events.
    """
    _load_package()
    http_app = importlib.import_module("email_service.http_app")
    app = http_app.create_app(settings=settings, allow_anonymous=False)
    # The app keeps no resources across requests, so skip the lifespan cycle.
    return Mangum(app, lifespan="off")


# Lambda's runtime logs the root logger at WARNING; the per-request JSON lines
# are INFO.
logging.getLogger("email_service").setLevel(logging.INFO)

handler = make_handler()
