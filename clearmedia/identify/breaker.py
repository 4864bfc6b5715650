"""A circuit breaker for the LLM endpoint: after repeated transient failures, pause every call.

While it is open files wait in PENDING (a `ServicePausedError`) instead of all turning FAILED.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from loguru import logger

from clearmedia.errors import ServicePausedError

BREAKER_THRESHOLD = 5  # consecutive transient failures that pause all LLM calls
BREAKER_PAUSE = 60.0  # first pause, seconds; doubles while the endpoint keeps failing
BREAKER_MAX_PAUSE = 900.0


class CircuitBreaker:
    """Pause every LLM call after `threshold` consecutive transient failures.

    While open, `before_call` raises `TransientError` at once (no HTTP), so files wait in PENDING
    rather than all turning FAILED. After the pause one probe call goes through: success closes
    the breaker, failure opens it again for twice as long (at most `max_pause`). Thread-safe.
    """

    def __init__(
        self,
        threshold: int = BREAKER_THRESHOLD,
        pause: float = BREAKER_PAUSE,
        max_pause: float = BREAKER_MAX_PAUSE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.base_pause = pause
        self.max_pause = max_pause
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._pause = pause
        self._open_until: float | None = None
        self._probing = False

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._open_until is not None and self._clock() < self._open_until

    def before_call(self, probe: bool = True) -> None:
        """Raise `TransientError` when calls are paused; otherwise let this call through.

        After the pause the first caller becomes the probe (it must report `success` or
        `failure`); with `probe=False` a caller only looks and never takes that role.
        """
        with self._lock:
            if self._open_until is None:
                return
            remaining = self._open_until - self._clock()
            if remaining <= 0 and (not probe or not self._probing):
                self._probing = self._probing or probe  # half-open: this caller is the probe
                return
            wait = max(1, round(remaining)) if remaining > 0 else 1
        raise ServicePausedError(f"LLM endpoint unavailable, paused for {wait} s")

    def success(self) -> None:
        with self._lock:
            if self._open_until is not None:
                logger.info("LLM endpoint answers again; resuming LLM calls")
            self._failures = 0
            self._pause = self.base_pause
            self._open_until = None
            self._probing = False

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._probing or (self._open_until is None and self._failures >= self.threshold):
                if self._probing:
                    self._pause = min(self._pause * 2, self.max_pause)
                self._probing = False
                self._open_until = self._clock() + self._pause
                logger.warning(
                    "LLM endpoint failed {} times in a row; pausing LLM calls for {:.0f} s",
                    self._failures,
                    self._pause,
                )
