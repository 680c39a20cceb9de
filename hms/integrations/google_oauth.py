"""Google OAuth 2.0 web-server flow: consent URL, code exchange, revocation."""

import logging
import secrets
from dataclasses import dataclass

import requests
from google.auth import jwt
from google.auth.exceptions import GoogleAuthError
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from hms import config
from hms.config import Settings
from hms.integrations.google_calendar import CALENDAR_SCOPE, TOKEN_URI

logger = logging.getLogger(__name__)

AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
REVOKE_URI = "https://oauth2.googleapis.com/revoke"
EMAIL_SCOPE = "https://www.googleapis.com/auth/userinfo.email"
# calendar.events is the narrowest scope that can create events in the
# user's own calendars; openid + email only tell us which account it is.
SCOPES = ["openid", EMAIL_SCOPE, CALENDAR_SCOPE]
HTTP_TIMEOUT_SECONDS = 20
_GOOGLE_ISSUERS = {"accounts.google.com", "https://accounts.google.com"}


class OAuthExchangeError(Exception):
    """The code could not be turned into a usable grant.

    Args:
        code: a short machine code the callback maps to a message
            (`exchange_failed`, `no_refresh_token`, `scope_denied`).
    """

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class GoogleGrant:
    """What a completed consent gives us. Holds a secret: never log or show it."""

    refresh_token: str
    account_email: str
    scope: str


def new_code_verifier() -> str:
    """A PKCE code verifier: 86 URL-safe characters (RFC 7636 allows 43-128)."""
    return secrets.token_urlsafe(64)


def _client_config(settings: Settings) -> dict:
    return {
        "web": {
            "client_id": settings.google_client_id,
            "client_secret": settings.google_client_secret,
            "auth_uri": AUTH_URI,
            "token_uri": TOKEN_URI,
            "redirect_uris": [settings.google_redirect_uri],
        }
    }


def _flow(settings: Settings, code_verifier: str) -> Flow:
    return Flow.from_client_config(
        _client_config(settings),
        scopes=SCOPES,
        redirect_uri=settings.google_redirect_uri,
        code_verifier=code_verifier,
        autogenerate_code_verifier=False,
    )


def authorization_url(
    *, state: str, code_verifier: str, settings: Settings = config.settings
) -> str:
    """The Google consent URL to send the user's browser to.

    Args:
        state: the one-time value Google hands back to the callback.
        code_verifier: the PKCE verifier; only its S256 challenge is sent.
        settings: settings with the OAuth client and redirect URI.

    Returns:
        The URL, asking for offline access and always showing consent so
        Google issues a refresh token again on reconnect.
    """
    url, _ = _flow(settings, code_verifier).authorization_url(
        state=state, access_type="offline", prompt="consent"
    )
    return url


def fetch_token(flow: Flow, *, code: str) -> dict:
    """POST the code to Google's token endpoint: the only network call here.

    Tests replace this function. Google may grant fewer scopes than asked
    (granular consent); oauthlib reports that as a Warning carrying the
    token, which we accept and check ourselves.
    """
    try:
        return dict(flow.fetch_token(code=code, timeout=HTTP_TIMEOUT_SECONDS))
    except Warning as warning:
        token = getattr(warning, "token", None)
        if token is None:
            raise
        return dict(token)


def _account_email(token: dict, settings: Settings) -> str:
    """The email in the id_token, which came straight from Google over TLS.

    OpenID Connect allows skipping the signature check for an id_token
    received directly from the token endpoint; we still check issuer and
    audience.
    """
    id_token = token.get("id_token")
    if not id_token:
        return ""
    claims = jwt.decode(id_token, verify=False)
    if claims.get("iss") not in _GOOGLE_ISSUERS:
        return ""
    if claims.get("aud") != settings.google_client_id:
        return ""
    return str(claims.get("email", ""))


def _granted_scope(token: dict) -> str:
    scope = token.get("scope", "")
    return " ".join(scope) if isinstance(scope, list | tuple) else str(scope)


def exchange_code(
    *, code: str, code_verifier: str, settings: Settings = config.settings
) -> GoogleGrant:
    """Trade the authorization code for a refresh token and the account email.

    Args:
        code: the `code` query parameter Google sent to the callback.
        code_verifier: the PKCE verifier stored when the flow started.
        settings: settings with the OAuth client and redirect URI.

    Returns:
        The grant.

    Raises:
        OAuthExchangeError: Google refused, was unreachable, gave no refresh
            token, or the user did not allow calendar access.
    """
    try:
        token = fetch_token(_flow(settings, code_verifier), code=code)
    except (OAuth2Error, requests.RequestException, GoogleAuthError) as error:
        logger.warning("Google code exchange failed: %s", type(error).__name__)
        raise OAuthExchangeError("exchange_failed") from error

    scope = _granted_scope(token)
    if CALENDAR_SCOPE not in scope.split():
        raise OAuthExchangeError("scope_denied")
    refresh_token = token.get("refresh_token")
    if not refresh_token:
        raise OAuthExchangeError("no_refresh_token")
    try:
        email = _account_email(token, settings)
    except (ValueError, GoogleAuthError):
        logger.warning("Google id_token could not be read; email left blank")
        email = ""
    return GoogleGrant(refresh_token=refresh_token, account_email=email, scope=scope)


def revoke_token(token: str) -> bool:
    """Ask Google to revoke `token` (and with it the whole grant).

    The only network call of disconnecting; tests replace it.

    Returns:
        True when Google confirmed; False when it failed or was unreachable.
    """
    try:
        response = requests.post(
            REVOKE_URI,
            data={"token": token},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=HTTP_TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        logger.warning("Google token revocation failed: %s", type(error).__name__)
        return False
    if response.status_code != 200:
        logger.warning("Google token revocation answered %s", response.status_code)
    return response.status_code == 200
