"""The doctor directory (/doctors), for patients."""

import reflex as rx

from hms import routes
from hms.components.feedback import empty_state, loading_state
from hms.components.layout import page_layout
from hms.states.auth import AuthState
from hms.states.doctors import DoctorsState
from hms.states.rows import DoctorRow


def _filters() -> rx.Component:
    return rx.flex(
        rx.select(
            DoctorsState.specialties,
            value=DoctorsState.specialty_filter,
            on_change=DoctorsState.set_specialty_filter,
            id="specialty-filter",
            name="specialty_filter",
            aria_label="Specialty",
        ),
        rx.input(
            rx.input.slot(rx.icon("search")),
            placeholder="Search by name",
            value=DoctorsState.name_filter,
            on_change=DoctorsState.set_name_filter,
            debounce_timeout=400,
            id="name-filter",
            name="name_filter",
            aria_label="Doctor's name",
            flex_grow="1",
        ),
        spacing="3",
        direction=rx.breakpoints(initial="column", sm="row"),
        width="100%",
    )


def _doctor_card(doctor: DoctorRow) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.heading(doctor.name, size="4", as_="h2"),
                rx.badge(doctor.specialty, variant="soft", color_scheme="teal"),
                rx.text(
                    "Next open time: ", doctor.next_open, size="2", color_scheme="gray"
                ),
                spacing="1",
            ),
            rx.spacer(),
            rx.link(rx.button("See open times", variant="soft"), href=doctor.url),
            direction=rx.breakpoints(initial="column", sm="row"),
            align=rx.breakpoints(initial="start", sm="center"),
            spacing="3",
        ),
        width="100%",
        class_name="doctor-card",
    )


def _doctor_list() -> rx.Component:
    return rx.cond(
        DoctorsState.doctors_loading,
        loading_state("Loading doctors…"),
        rx.cond(
            DoctorsState.doctors.length() > 0,
            rx.vstack(
                rx.foreach(DoctorsState.doctors, _doctor_card),
                spacing="3",
                width="100%",
            ),
            empty_state(
                "No doctors match. Try another specialty or name.",
                rx.button(
                    "Show all doctors",
                    variant="soft",
                    on_click=DoctorsState.clear_filters,
                ),
            ),
        ),
    )


@rx.page(
    route=routes.DOCTORS,
    title="Find a doctor — HMS",
    on_load=[AuthState.require_patient, DoctorsState.load_doctors],
)
def doctors() -> rx.Component:
    """Doctors with their specialty and next open time; filters on top."""
    return page_layout(
        "Find a doctor",
        _filters(),
        _doctor_list(),
        subtitle=rx.text.span(
            "Times are shown in your timezone, ", AuthState.user_timezone, "."
        ),
    )
