"""Plain HTTP routes beside the Reflex app: the Google OAuth callback."""

import logging
from urllib.parse import urlencode, urlsplit

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from hms import config
from hms.config import Settings
from hms.db import session_scope
from hms.services.calendar_connection import (
    BROWSER_COOKIE,
    CalendarConnectError,
    complete_connect,
)

logger = logging.getLogger(__name__)

PROFILE_PATH = "/profile"
DEFAULT_CALLBACK_PATH = "/integrations/google/oauth2/callback/"
# The callback URL carries a one-time code: keep it out of caches and Referers.
_NO_LEAK_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def callback_path(settings: Settings = config.settings) -> str:
    """The path part of GOOGLE_REDIRECT_URI, where Google sends the browser back."""
    return urlsplit(settings.google_redirect_uri).path or DEFAULT_CALLBACK_PATH


def _to_profile(outcome: str, frontend_url: str) -> RedirectResponse:
    """Send the browser to the profile page, which explains `outcome` in words."""
    url = f"{frontend_url}{PROFILE_PATH}?{urlencode({'calendar': outcome})}"
    return RedirectResponse(url, status_code=303, headers=_NO_LEAK_HEADERS)


def _complete(
    state: str, code: str, nonce: str, settings: Settings, engine: Engine | None
) -> str:
    """Run complete_connect in its own transaction; return the outcome code."""
    with session_scope(engine) as session:
        try:
            complete_connect(
                session=session,
                state=state,
                code=code,
                browser_nonce=nonce,
                settings=settings,
            )
        except CalendarConnectError as error:
            # Committed on purpose: a state used in a failed attempt stays used.
            logger.info("Calendar connect refused: %s", error.code)
            return error.code
    return "connected"


def create_api(
    *,
    settings: Settings = config.settings,
    engine: Engine | None = None,
    frontend_url: str = "",
) -> Starlette:
    """The Starlette app to pass as `rx.App(api_transformer=...)`.

    Args:
        settings: settings with the Google OAuth client and redirect URI.
        engine: the database engine (default: the app's).
        frontend_url: origin of the pages when they are not served on the
            backend's origin (dev mode: `http://localhost:3000`); empty means
            same origin, as with `reflex run --env prod`.

    Returns:
        An app with GET <callback path> (with and without the final slash).
    """

    def oauth_callback(request: Request) -> RedirectResponse:
        # Sync on purpose: Starlette runs it in a thread, so the database and
        # Google calls don't block the event loop.
        params = request.query_params
        if params.get("error"):
            denied = params["error"] == "access_denied"
            return _to_profile(
                "access_denied" if denied else "exchange_failed", frontend_url
            )
        state, code = params.get("state", ""), params.get("code", "")
        if not state or not code:
            return _to_profile("invalid_state", frontend_url)
        try:
            nonce = request.cookies.get(BROWSER_COOKIE, "")
            outcome = _complete(state, code, nonce, settings, engine)
        except Exception:
            logger.exception("Calendar connect failed unexpectedly")
            outcome = "exchange_failed"
        return _to_profile(outcome, frontend_url)

    path = callback_path(settings)
    routes = [Route(path, oauth_callback, methods=["GET"])]
    other = path[:-1] if path.endswith("/") else path + "/"
    if other:
        routes.append(Route(other, oauth_callback, methods=["GET"]))
    return Starlette(routes=routes)


api = create_api()
