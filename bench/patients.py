"""What a simulated patient does over the websocket: open pages, book a slot."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable

from bench.ws_client import AUTH, DOCTOR_DETAIL, RxClient, frontend_events, var
from hms.services.booking import JUST_TAKEN

logger = logging.getLogger(__name__)

BOOKED, TAKEN = "booked", "taken"


def doctor_page(doctor_id: int) -> tuple[str, dict]:
    """The path and route params of a doctor's page."""
    return f"/doctors/{doctor_id}", {"doctor_id": str(doctor_id)}


def listed_slot_ids(client: RxClient) -> list[int]:
    """The slot ids the doctor page listed, from the latest `days` delta."""
    for update in reversed(client.updates):
        days = var(update, DOCTOR_DETAIL, "days")
        if days is not None:
            return [slot["id"] for day in days for slot in day["slots"]]
    return []


def _redirected(update) -> bool:
    return any(e.get("name") == "_redirect" for e in frontend_events(update))


def _answered(update) -> bool:
    """A booking's confirming update: the redirect, or a message on the page."""
    return (
        _redirected(update)
        or bool(var(update, AUTH, "alert_message"))
        or bool(var(update, AUTH, "field_errors"))
    )


def outcome_of(update) -> str:
    """ "booked", "taken", or the message shown for any other refusal."""
    if _redirected(update):
        return BOOKED
    # The feedback vars are AuthState's, inherited by every page state.
    alert = var(update, AUTH, "alert_message") or ""
    return TAKEN if alert == JUST_TAKEN else f"refused: {alert or update}"


async def choose_slot(client: RxClient, slot_id: int, timeout: float = 30) -> None:
    """Click a slot: `open_booking`, wait until the dialog opens.

    Raises:
        RuntimeError: the page did not list the slot.
    """

    def opened_or_refused(update) -> bool:
        return var(update, DOCTOR_DETAIL, "booking_open") is True or bool(
            frontend_events(update)
        )

    _, update = await client.call(
        f"{DOCTOR_DETAIL}.open_booking",
        {"slot_id": slot_id},
        opened_or_refused,
        timeout,
    )
    if var(update, DOCTOR_DETAIL, "booking_open") is not True:
        raise RuntimeError(f"slot {slot_id} is not listed on the page")


async def next_week(client: RxClient, timeout: float = 30) -> None:
    """Press "next week" on the doctor page and wait for its open times."""

    def listed(update) -> bool:
        return var(update, DOCTOR_DETAIL, "days") is not None or bool(
            var(update, AUTH, "alert_message")
        )

    client.forget()
    await client.call(f"{DOCTOR_DETAIL}.show_week", {"step": 1}, listed, timeout)


async def submit_booking(client: RxClient, slot_id: int, timeout: float = 30):
    """Press Book: send `submit_booking`; return (seconds to the answer, outcome)."""
    form = {"form_data": {"slot_id": str(slot_id), "reason": ""}}
    seconds, update = await client.call(
        f"{DOCTOR_DETAIL}.submit_booking", form, _answered, timeout
    )
    return seconds, outcome_of(update)


async def open_clients(
    base_url: str,
    tokens: Iterable[str],
    page: tuple[str, dict | None],
    *,
    parallel: int = 25,
) -> list[RxClient]:
    """Connect one logged-in tab per token on `page`, `parallel` at a time."""
    gate = asyncio.Semaphore(parallel)

    async def one(token: str) -> RxClient:
        async with gate:
            client = RxClient(base_url, session_token=token)
            await client.open(*page)
            return client

    return list(await asyncio.gather(*(one(t) for t in tokens)))


async def close_all(clients: list[RxClient]) -> None:
    """Disconnect every tab."""
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


async def bounded(tasks: list[Callable[[], Awaitable]], seconds: float):
    """Run the tasks concurrently, cancelling them after `seconds`."""
    async with asyncio.timeout(seconds):
        return await asyncio.gather(*(t() for t in tasks))


def _logged_in(update) -> bool:
    return _redirected(update) or bool(var(update, AUTH, "alert_message"))


async def log_in(client: RxClient, email: str, password: str, timeout=60) -> float:
    """Submit the login form on /login; keep the cookie the server sets.

    Returns:
        Seconds from submit to the redirect.

    Raises:
        RuntimeError: the login was refused.
    """
    form = {"form_data": {"email": email, "password": password}}
    seconds, update = await client.call(
        f"{AUTH}.submit_login", form, _logged_in, timeout
    )
    if not _redirected(update):
        raise RuntimeError(f"login refused: {var(update, AUTH, 'alert_message')}")
    for seen in client.updates:
        token = var(seen, AUTH, "session_token")
        if token:
            client.session_token = token
    return seconds


async def journey(
    base_url: str, email: str, password: str, doctor_id: int
) -> tuple[RxClient, dict]:
    """Log in for real, list the doctors, open one: the steps before Book.

    Returns:
        The tab, left on the doctor's page, and the seconds of each step.
    """
    client = RxClient(base_url)
    steps = {"open_login": await client.open("/login")}
    steps["login"] = await log_in(client, email, password)
    steps["doctors_list"] = await client.navigate("/doctors")
    steps["doctor_page"] = await client.navigate(*doctor_page(doctor_id))
    return client, steps
