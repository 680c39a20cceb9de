"""Placeholder pages over the real states, for benchmarking while the UI is in flux.

`--stub-ui` copies this file over hms/hms.py in the app snapshot (never in the
working tree). Routes, on_load handlers and states are the real ones, so the
websocket path is the same; only what the browser would render differs.
"""

import reflex as rx

import hms.models  # noqa: F401
from hms import routes
from hms.states.appointments import AppointmentsState
from hms.states.auth import AuthState
from hms.states.availability import AvailabilityState
from hms.states.doctors import DoctorDetailState, DoctorsState

app = rx.App()

PAGES = (
    (routes.INDEX, AuthState.load_session, AuthState.user_name),
    (routes.LOGIN, AuthState.redirect_if_logged_in, AuthState.alert_message),
    (
        routes.DOCTORS,
        [AuthState.require_patient, DoctorsState.load_doctors],
        DoctorsState.doctors.length(),
    ),
    (
        routes.DOCTOR_DETAIL,
        [AuthState.require_patient, DoctorDetailState.load_doctor],
        DoctorDetailState.doctor_name,
    ),
    (
        routes.AVAILABILITY,
        [AuthState.require_doctor, AvailabilityState.load_availability],
        AvailabilityState.days.length(),
    ),
    (
        routes.APPOINTMENTS,
        [AuthState.require_login, AppointmentsState.load_appointments],
        AuthState.user_name,
    ),
)

for route, on_load, shown in PAGES:
    app.add_page(rx.text(shown), route=route, on_load=on_load)
