"""A small, bounded, thread-safe record of recently sent idempotency keys."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

logger = logging.getLogger(__name__)


class RecentKeys:
    """Remember the last ``maxsize`` keys sent, each with its Message-ID.

    It lives only as long as the process (a warm Lambda, a local server), so
    it only catches quick retries; the app's outbox, which records a message
    as delivered once the function answers 202, is the primary guard.
    """

    def __init__(self, *, maxsize: int) -> None:
        """Start empty.

        Args:
            maxsize: How many keys to keep; the oldest is forgotten first.
        """
        self._maxsize = maxsize
        self._keys: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        """Return the Message-ID sent for ``key``, or ``None`` if not recent."""
        with self._lock:
            return self._keys.get(key)

    def add(self, key: str, message_id: str) -> None:
        """Record that ``key`` was sent as ``message_id``."""
        with self._lock:
            self._keys[key] = message_id
            self._keys.move_to_end(key)
            while len(self._keys) > self._maxsize:
                self._keys.popitem(last=False)

    def __len__(self) -> int:
        """Return how many keys are remembered."""
        with self._lock:
            return len(self._keys)
