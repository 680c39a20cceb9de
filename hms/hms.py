"""The Reflex app: imports every model, state and page so Reflex compiles them."""

import reflex as rx

import hms.models  # noqa: F401  (registers the tables for Alembic)
import hms.states.calendar  # noqa: F401  (the profile page's calendar card)
from hms.api import api
from hms.outbox import run_dispatcher
from hms.pages import (  # noqa: F401  (each module registers its page)
    appointments,
    availability,
    doctor_detail,
    doctors,
    index,
    login,
    not_found,
    profile,
    signup,
)

app = rx.App(
    stylesheets=["/styles.css"],
    head_components=[rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml")],
    # Extra HTTP routes (the Google OAuth callback) served beside Reflex's own.
    api_transformer=api,
)

# Delivers queued emails and calendar jobs in every backend worker; PostgreSQL's
# SKIP LOCKED keeps several workers from delivering one message twice.
app.register_lifespan_task(run_dispatcher)
