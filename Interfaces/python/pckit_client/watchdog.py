"""A robot-side watchdog: hold a safe action whenever the agent's replies stop."""
from __future__ import annotations

import threading
import time
from typing import Optional, Sequence

import numpy as np

from .errors import RemoteError, ServerLost
from .remote_agent import RemoteAgent


class Watchdog:
    """Wraps a :class:`RemoteAgent` for a fixed-rate control loop.

    ``command(observation)`` never blocks longer than ``deadline`` seconds: the request runs on a
    worker thread, and when no valid action has arrived by the deadline the watchdog returns
    ``safe_action`` (e.g. zero torque, or hold position) and counts a miss. Independent of the
    agent and the server; it lives entirely on the robot side.

    An action is also refused once it has expired: a protocol 1.1 server stamps each action with
    validUntil (the step's ``time.monotonic_ns()`` stamp + the session's action validity). When
    ``time.monotonic_ns()`` has passed it by the time the reply is used, the watchdog returns the safe
    action and counts it in ``expired`` (and ``misses``). The next fresh action is applied again.
    Against a 1.0 server (no validUntil) only the reply deadline applies.
    """

    def __init__(self, agent: RemoteAgent, safe_action: Sequence[float], deadline: float):
        self.agent = agent
        self.safe_action = np.asarray(safe_action, dtype=np.float64)
        self.deadline = float(deadline)
        self.misses = 0
        self.expired = 0
        self.commands = 0
        self._pending: Optional[threading.Thread] = None
        self._result: Optional[np.ndarray] = None
        self._valid_until: Optional[int] = None
        self._last_safe = False

    def _ask(self, observation: np.ndarray) -> None:
        try:
            result = self.agent.step(observation)
            # Read on this thread, right after the step that set it.
            self._valid_until = self.agent.valid_until_ns
            self._result = result
        except (ServerLost, RemoteError, OSError):
            self._result = None

    @property
    def holding(self) -> bool:
        """Whether the last command was the safe action."""
        return self._last_safe

    def command(self, observation) -> np.ndarray:
        """The action to apply now: the agent's, or the safe action if it is late or failed."""
        self.commands += 1
        if self._pending is not None and self._pending.is_alive():
            # The previous request is still out: keep holding; never queue commands.
            self.misses += 1
            self._last_safe = True
            return self.safe_action.copy()
        self._result = None
        self._valid_until = None
        self._pending = threading.Thread(target=self._ask, args=(np.asarray(observation, dtype=np.float64),),
                                         daemon=True)
        self._pending.start()
        self._pending.join(self.deadline)
        if self._pending.is_alive() or self._result is None:
            self.misses += 1
            self._last_safe = True
            return self.safe_action.copy()
        if self._valid_until is not None and time.monotonic_ns() > self._valid_until:
            # The reply came, but the action is already past its validUntil on this robot's clock.
            self.misses += 1
            self.expired += 1
            self._last_safe = True
            return self.safe_action.copy()
        self._last_safe = False
        return self._result


def control_loop(watchdog: Watchdog, read_sensors, apply_action, period: float, steps: int) -> list:
    """A fixed-rate loop: read, command (via the watchdog), apply; returns per-step 'held' flags."""
    held = []
    next_tick = time.monotonic()
    for _ in range(steps):
        action = watchdog.command(read_sensors())
        apply_action(action)
        held.append(watchdog.holding)
        next_tick += period
        time.sleep(max(0.0, next_tick - time.monotonic()))
    return held
