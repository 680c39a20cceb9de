"""Run an event handler's blocking work (SQL, password hashing) off the event loop."""

import functools
from collections.abc import Callable
from typing import Any

import reflex as rx


def off_event_loop(method: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a blocking handler into one that runs in a worker thread.

    A tab's events still run one at a time, but while one waits on the
    database or on argon2, the worker's event loop serves every other tab.
    Use it under `@rx.event`.
    """

    @functools.wraps(method)
    async def handler(self, *args: Any, **kwargs: Any) -> Any:
        return await rx.run_in_thread(functools.partial(method, self, *args, **kwargs))

    return handler
