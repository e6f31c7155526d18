"""``RemoteAgent``: a robot's handle on its PCKit agent, over ZeroMQ with lazy-pirate retries."""
from __future__ import annotations

import os
import time
from typing import Any, Optional, Sequence

import numpy as np
import zmq

from . import wire
from .errors import RemoteError, ServerLost


def _space(space: Any, role: str = "space") -> dict:
    """Accepts a Gymnasium Box, a ``(low, high)`` pair or a wire dict ``{"low", "high"}``."""
    if isinstance(space, dict):
        return wire.space_to_wire(space["low"], space["high"])
    if hasattr(space, "low") and hasattr(space, "high"):
        return wire.space_to_wire(space.low, space.high)
    if hasattr(space, "sample") or not isinstance(space, (tuple, list, np.ndarray)) or len(space) != 2:
        # A Gymnasium Discrete, Dict, Tuple, MultiDiscrete… space, or anything else that is not a box.
        raise ValueError(f"{role} {space!r} is not a box: give a gymnasium Box, a (low, high) pair or "
                         f"{{'low': [...], 'high': [...]}} (see pckit_client.gym_adapter for Discrete actions)")
    low, high = space
    return wire.space_to_wire(low, high)


def new_routing_id() -> bytes:
    """A random 16-byte ZeroMQ routing id. The server ties each session to the identity that
    opened it, so the id must be unguessable and kept for the agent's life; libzmq reserves ids
    starting with a zero byte, so the first byte is never 0."""
    while True:
        identity = os.urandom(16)
        if identity[0] != 0:
            return identity


class RemoteAgent:
    """A PCKit agent hosted by ``pcctl serve``, driven one observation at a time.

    >>> agent = RemoteAgent("tcp://127.0.0.1:5555", (obs_low, obs_high), (act_low, act_high),
    ...                     {"type": "linear", "gain": [[1.0, 0.5]]})
    >>> action = agent.step(observation)

    Requests go over a REQ socket. A request without a reply within ``timeout`` seconds is retried
    on a fresh socket up to ``retries`` times (the Lazy Pirate pattern); then :class:`ServerLost` is
    raised. When the server no longer knows the session (restarted, or dropped it after its idle
    timeout), the agent says hello again and resends the step, counting it in ``reconnects``.
    Steps are answered in order: a reply to another sequence number is never returned.

    Identity: every socket this agent opens, including the Lazy-Pirate reopens, carries the same
    random 16-byte ZeroMQ routing id (``routing_id``). The server ties a session to the identity that
    opened it, so a retry on a fresh socket still owns its session, and no other client can step,
    reset or close it (``notOwner``).

    Time: steps are stamped with ``time.monotonic_ns()``. A 1.1 server answers with an action whose
    timestamp is ``validUntil`` = the step's stamp + the session's action validity (``action_validity``
    seconds, default 3 × ``control_period``); it is exposed as :attr:`valid_until_ns`, on the same clock
    as ``time.monotonic_ns()``. A robot must not apply the action after that instant
    (:class:`~pckit_client.watchdog.Watchdog` enforces it).
    """

    def __init__(self, endpoint: str, observation_space: Any, action_space: Any,
                 config: Optional[dict] = None, *, robot: str = "python-robot", control_period: float = 0.05,
                 scalar: str = "float32", timeout: float = 1.0, retries: int = 3,
                 curve_server_key: Optional[str] = None, curve_client_keys: Optional[tuple] = None,
                 context: Optional[zmq.Context] = None, action_validity: Optional[float] = None):
        self.endpoint = endpoint
        self.initial_endpoint = endpoint
        self.hello_message = wire.hello(robot, _space(observation_space, "observation_space"),
                                        _space(action_space, "action_space"), control_period,
                                        config, scalar, action_validity=action_validity)
        # Kept across reconnects: the server knows this agent's sessions by it.
        self.routing_id = new_routing_id()
        self.float64 = scalar == "float64"
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.curve_server_key = curve_server_key
        # (public, secret) Z85 keys, needed when the server admits only authorized clients.
        self.curve_client_keys = curve_client_keys
        self.context = context or zmq.Context.instance()
        self.socket: Optional[zmq.Socket] = None
        self.welcome: Optional[dict] = None
        self.sequence = 0
        self.reconnects = 0
        self.retried = 0
        self.last_frame: Optional[wire.Frame] = None

    # -- transport -------------------------------------------------------------------------

    def _open(self) -> None:
        self._close_socket()
        socket = self.context.socket(zmq.REQ)
        socket.setsockopt(zmq.LINGER, 0)
        socket.setsockopt(zmq.ROUTING_ID, self.routing_id)
        if self.curve_server_key:
            public, secret = ((k.encode() if isinstance(k, str) else k) for k in self.curve_client_keys) \
                if self.curve_client_keys else zmq.curve_keypair()
            socket.curve_serverkey = self.curve_server_key.encode()
            socket.curve_publickey = public
            socket.curve_secretkey = secret
        socket.connect(self.endpoint)
        self.socket = socket

    def _close_socket(self) -> None:
        if self.socket is not None:
            self.socket.close(linger=0)
            self.socket = None

    def _request(self, payload: bytes, what: str) -> bytes:
        """One request, one reply; on timeout reopen the socket and resend (Lazy Pirate)."""
        for attempt in range(self.retries + 1):
            if self.socket is None:
                self._open()
            self.socket.send(payload)
            if self.socket.poll(int(self.timeout * 1000), zmq.POLLIN):
                return self.socket.recv()
            # A REQ socket that timed out cannot send again: replace it.
            self._close_socket()
            self.retried += 1
        raise ServerLost(f"no reply to {what} from {self.endpoint} after {self.retries + 1} attempts "
                         f"of {self.timeout} s")

    def _control(self, message: dict) -> dict:
        reply = wire.decode_control(self._request(wire.encode_control(message), message["kind"]))
        if reply["kind"] == "error":
            raise RemoteError(reply)
        return reply

    # -- session ---------------------------------------------------------------------------

    def connect(self) -> dict:
        """Says hello (through the initial endpoint) and returns the welcome."""
        if self.endpoint != self.initial_endpoint:
            self.endpoint = self.initial_endpoint
            self._close_socket()
        welcome = self._control(self.hello_message)
        if welcome.get("kind") != "welcome":
            raise RemoteError({"code": "unexpectedReply", "message": f"hello answered by {welcome.get('kind')}"})
        redirect = welcome.get("endpoint")
        if redirect and redirect != self.endpoint:
            # A worker behind a broker: the rest of the session goes to it directly.
            self.endpoint = redirect
            self._close_socket()
        self.welcome = welcome
        return welcome

    @property
    def session(self) -> Optional[int]:
        return self.welcome["session"] if self.welcome else None

    @property
    def speaks_valid_until(self) -> bool:
        """Whether the server's actions carry validUntil (protocol ≥ 1.1; a 1.0 server stamps actions
        with its own wall clock, which says nothing about the robot's)."""
        if not self.welcome:
            return False
        try:
            major, minor = (int(x) for x in str(self.welcome.get("protocol", "")).split(".")[:2])
        except ValueError:
            return False
        return (major, minor) >= (1, 1)

    @property
    def action_validity(self) -> Optional[float]:
        """Seconds each action stays valid, as the welcome states it (``None`` from a 1.0 server)."""
        return self.welcome.get("actionValidity") if self.welcome else None

    @property
    def compute_deadline(self) -> Optional[float]:
        """The server's per-step compute budget in seconds, as the welcome states it (``None`` from 1.0)."""
        return self.welcome.get("computeDeadline") if self.welcome else None

    @property
    def valid_until_ns(self) -> Optional[int]:
        """The last action's validUntil on the ``time.monotonic_ns()`` clock; ``None`` before the
        first action or when the server speaks protocol 1.0."""
        if self.last_frame is None or not self.speaks_valid_until:
            return None
        return self.last_frame.valid_until_ns

    @property
    def last_flags(self) -> int:
        """The flags of the last action frame (``wire.FLAG_*``), 0 before the first action."""
        return self.last_frame.flags if self.last_frame is not None else 0

    @property
    def out_of_bounds(self) -> bool:
        """Whether the last step's observation was outside the hello's observation bounds."""
        return bool(self.last_flags & wire.FLAG_OUT_OF_BOUNDS)

    @property
    def deadline_exceeded(self) -> bool:
        """Whether the last action is the best plan found by the server's compute deadline."""
        return bool(self.last_flags & wire.FLAG_DEADLINE_EXCEEDED)

    def step(self, observation: Sequence[float] | np.ndarray) -> np.ndarray:
        """Sends one observation, returns the action (float64 array of the action dimension)."""
        if self.welcome is None:
            self.connect()
        observation = np.asarray(observation, dtype=np.float64).reshape(-1)
        self.sequence += 1
        stale = 0
        attempt = 0
        while attempt < 2:
            attempt += 1
            frame = wire.encode_frame("step", self.session, self.sequence, observation, float64=self.float64,
                                      timestamp=time.monotonic_ns())
            try:
                reply = self._request(frame, f"step {self.sequence}")
            except ServerLost:
                if self.endpoint == self.initial_endpoint:
                    raise
                # The worker is gone: start again through the broker.
                self._reconnect()
                continue
            if wire.is_frame(reply):
                result = wire.decode_frame(reply)
                if result.kind == "action" and result.sequence < self.sequence and stale <= self.retries:
                    # The late second answer to an earlier step that was retried (the routing id
                    # outlives the socket, so it reaches this one): skip it and ask again; the
                    # server answers a repeated sequence from its cache without running the agent.
                    stale += 1
                    attempt -= 1
                    continue
                if result.kind != "action" or result.sequence != self.sequence:
                    raise RemoteError({"code": "unexpectedReply",
                                       "message": f"step {self.sequence} answered by {result.kind} {result.sequence}"})
                self.last_frame = result
                return result.values.astype(np.float64)
            error = wire.decode_control(reply)
            if error.get("code") == "unknownSession":
                self._reconnect()
                continue
            raise RemoteError(error)
        raise ServerLost(f"step {self.sequence}: the session could not be re-established")

    def _reconnect(self) -> None:
        self.welcome = None
        self.reconnects += 1
        self.connect()

    def reset(self, seed: int = 0) -> None:
        """Starts a new episode in the same session: the agent clears its belief and warm start and
        reseeds its generator with ``seed`` (an integer in 0…2^53−1; anything else raises ValueError
        before anything is sent)."""
        seed = wire.check_seed(seed)
        if self.welcome is None:
            self.connect()
        try:
            self._control({"kind": "reset", "session": self.session, "seed": seed})
        except RemoteError as error:
            if error.code != "unknownSession":
                raise
            self._reconnect()
            self._control({"kind": "reset", "session": self.session, "seed": seed})
        self.sequence = 0

    def heartbeat(self) -> float:
        """Keeps an idle session alive (send one per ``welcome['heartbeatInterval']`` when not stepping).
        Returns the round trip in seconds, measured on ``time.monotonic_ns()``."""
        self.sequence += 1
        sent = time.monotonic_ns()
        reply = self._request(wire.encode_frame("heartbeat", self.session or 0, self.sequence, timestamp=sent),
                              "heartbeat")
        if not wire.is_frame(reply):
            raise RemoteError(wire.decode_control(reply))
        return (time.monotonic_ns() - sent) / 1e9

    def close(self) -> None:
        """Says bye (best effort) and closes the socket."""
        if self.welcome is not None:
            try:
                saved, self.retries = self.retries, 0
                self._control({"kind": "bye", "session": self.session})
            except (ServerLost, RemoteError):
                pass
            finally:
                self.retries = saved
                self.welcome = None
        self._close_socket()

    def __enter__(self) -> "RemoteAgent":
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()
