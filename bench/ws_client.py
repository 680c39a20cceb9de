"""A simulated browser tab speaking Reflex 0.10's Socket.IO protocol on /_event.

What the compiled frontend (.web/utils/state.js) does, and so this client:
- connects to `/_event` (Socket.IO path and namespace) with `?token=<tab uuid>`;
- puts the first event, `<root>.hydrate_and_load`, in the CONNECT packet's
  auth (`{"event": ...}`), its payload carrying the client-storage values,
  here the `hms_session` cookie of AuthState, keyed by the var's full name;
- sends every later event as `emit("event", {name, payload, router_data})`;
- receives `event` messages `{"delta": {state: {var: value}}, "events": [...]}`.
Navigating inside the single-page app sends `on_load_internal` with the new
router data; events a handler returns for the frontend (redirect, toast)
arrive in `events` and are only recorded here.
"""

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import socketio

logger = logging.getLogger(__name__)

ROOT = "reflex___state____state"
AUTH = f"{ROOT}.hms___states___auth____auth_state"
DOCTORS = f"{AUTH}.hms___states___doctors____doctors_state"
DOCTOR_DETAIL = f"{AUTH}.hms___states___doctors____doctor_detail_state"
AVAILABILITY = f"{AUTH}.hms___states___availability____availability_state"
COOKIE_VAR = f"{AUTH}.session_token_rx_state_"
ON_LOAD = f"{ROOT}.reflex___state____on_load_internal_state.on_load_internal"
NAMESPACE = "/_event"
HYDRATED = "is_hydrated_rx_state_"

Update = dict
Predicate = Callable[[Update], bool]


def var(update: Update, state: str, name: str, default=None):
    """The value of var `name` of `state` in an update's delta, else `default`."""
    return update.get("delta", {}).get(state, {}).get(f"{name}_rx_state_", default)


def frontend_events(update: Update) -> list[dict]:
    """The events an update asks the frontend to run (redirects, toasts)."""
    return update.get("events") or []


def hydrated(update: Update) -> bool:
    """True for the update that flips the page to hydrated (on_load finished)."""
    return var(update, ROOT, "is_hydrated") is True


def router_data(path: str, params: dict | None = None) -> dict:
    """The router data the frontend attaches to an event sent from `path`."""
    data = {"pathname": path, "asPath": path}
    if params:
        data["query"] = params
    return data


@dataclass
class RxClient:
    """One browser tab: a socket, its tab token, the session cookie it holds."""

    base_url: str
    session_token: str = ""
    tab_token: str = field(default_factory=lambda: str(uuid.uuid4()))
    updates: list[Update] = field(default_factory=list)
    path: str = "/"
    params: dict | None = None

    def __post_init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False, request_timeout=30)
        self._arrived = asyncio.Event()
        self.sio.on("event", self._on_update, namespace=NAMESPACE)

    async def _on_update(self, update: Update) -> None:
        self.updates.append(update)
        self._arrived.set()

    def _hydrate_event(self) -> dict:
        payload = (
            {"vars": {COOKIE_VAR: self.session_token}} if self.session_token else {}
        )
        return {
            "name": f"{ROOT}.hydrate_and_load",
            "payload": payload,
            "router_data": router_data(self.path, self.params),
        }

    async def open(self, path: str, params: dict | None = None, timeout=30.0) -> float:
        """Connect on page `path` and wait until its on_load handlers ran.

        Returns:
            Seconds from connecting to the hydrated update.
        """
        self.path, self.params = path, params
        mark, started = len(self.updates), time.perf_counter()
        await self.sio.connect(
            f"{self.base_url}?token={self.tab_token}",
            namespaces=[NAMESPACE],
            socketio_path="_event",
            transports=["websocket"],
            auth={"event": self._hydrate_event()},
            wait_timeout=timeout,
        )
        await self.wait_for(hydrated, since=mark, timeout=timeout)
        return time.perf_counter() - started

    async def connect_only(self, timeout=30.0) -> None:
        """Open the socket with the tab token but send no event (never hydrates)."""
        await self.sio.connect(
            f"{self.base_url}?token={self.tab_token}",
            namespaces=[NAMESPACE],
            socketio_path="_event",
            transports=["websocket"],
            wait_timeout=timeout,
        )

    async def navigate(
        self, path: str, params: dict | None = None, timeout=30.0
    ) -> float:
        """Move to `path` inside the app (no reconnect) and wait for its on_load."""
        self.path, self.params = path, params
        mark, started = len(self.updates), time.perf_counter()
        await self.send(ON_LOAD, {})
        await self.wait_for(hydrated, since=mark, timeout=timeout)
        return time.perf_counter() - started

    async def send(self, handler: str, payload: dict) -> int:
        """Emit one event for `handler`; return the update index to wait from."""
        mark = len(self.updates)
        event = {
            "name": handler,
            "payload": payload,
            "router_data": router_data(self.path, self.params),
        }
        await self.sio.emit("event", event, namespace=NAMESPACE)
        return mark

    async def call(self, handler: str, payload: dict, until: Predicate, timeout=30.0):
        """Send an event and wait for the update satisfying `until`.

        Returns:
            (seconds from send to that update, the update).
        """
        started = time.perf_counter()
        mark = await self.send(handler, payload)
        found = await self.wait_for(until, since=mark, timeout=timeout)
        return time.perf_counter() - started, found

    async def wait_for(self, until: Predicate, *, since: int, timeout: float) -> Update:
        """The first update from index `since` on that satisfies `until`.

        Raises:
            TimeoutError: none arrived within `timeout` seconds.
        """
        async with asyncio.timeout(timeout):
            while True:
                for update in self.updates[since:]:
                    if until(update):
                        return update
                since = len(self.updates)
                self._arrived.clear()
                await self._arrived.wait()

    def forget(self) -> None:
        """Drop the recorded updates (long runs would otherwise keep them all)."""
        self.updates.clear()

    async def close(self) -> None:
        """Disconnect the socket."""
        if self.sio.connected:
            await self.sio.disconnect()
