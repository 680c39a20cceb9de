"""Every route of the app, in one place."""

from urllib.parse import urlencode

INDEX = "/"
SIGNUP = "/signup"
LOGIN = "/login"
DOCTORS = "/doctors"
# The dynamic segment becomes the root-state var `doctor_id`.
DOCTOR_DETAIL = "/doctors/[doctor_id]"
APPOINTMENTS = "/appointments"
AVAILABILITY = "/availability"
PROFILE = "/profile"

# Where each role lands after logging in.
ROLE_HOME = {"patient": DOCTORS, "doctor": AVAILABILITY}


def doctor_url(doctor_id: int | str) -> str:
    """The page of one doctor, e.g. `/doctors/7`."""
    return f"{DOCTORS}/{doctor_id}"


def home_for(role: str) -> str:
    """The first page a user of `role` sees; the start page for anyone else."""
    return ROLE_HOME.get(role, APPOINTMENTS if role else INDEX)


def login_url(next_path: str = "") -> str:
    """The login page, remembering the local page to return to afterwards."""
    if next_path in ("", INDEX, LOGIN):
        return LOGIN
    return f"{LOGIN}?{urlencode({'next': next_path})}"


def safe_next(next_path: str) -> str:
    """`next_path` if it is a page of this site, else "" (no open redirects)."""
    if next_path.startswith("/") and not next_path.startswith(("//", "/\\")):
        return next_path
    return ""
