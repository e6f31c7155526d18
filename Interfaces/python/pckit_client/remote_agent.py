"""``RemoteAgent``: a robot's handle on its PCKit agent, over ZeroMQ with lazy-pirate retries."""
from __future__ import annotations

import time
from typing import Any, Optional, Sequence

import numpy as np
import zmq

from . import wire
from .errors import RemoteError, ServerLost


def _space(space: Any) -> dict:
    """Accepts a Gymnasium Box, a ``(low, high)`` pair or a wire dict ``{"low", "high"}``."""
    if isinstance(space, dict):
        return wire.space_to_wire(space["low"], space["high"])
    if hasattr(space, "low") and hasattr(space, "high"):
        return wire.space_to_wire(space.low, space.high)
    low, high = space
    return wire.space_to_wire(low, high)


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
    """

    def __init__(self, endpoint: str, observation_space: Any, action_space: Any,
                 config: Optional[dict] = None, *, robot: str = "python-robot", control_period: float = 0.05,
                 scalar: str = "float32", timeout: float = 1.0, retries: int = 3,
                 curve_server_key: Optional[str] = None, curve_client_keys: Optional[tuple] = None,
                 context: Optional[zmq.Context] = None):
        self.endpoint = endpoint
        self.initial_endpoint = endpoint
        self.hello_message = wire.hello(robot, _space(observation_space), _space(action_space), control_period,
                                        config, scalar)
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

    def step(self, observation: Sequence[float] | np.ndarray) -> np.ndarray:
        """Sends one observation, returns the action (float64 array of the action dimension)."""
        if self.welcome is None:
            self.connect()
        observation = np.asarray(observation, dtype=np.float64).reshape(-1)
        self.sequence += 1
        for _ in range(2):
            frame = wire.encode_frame("step", self.session, self.sequence, observation, float64=self.float64,
                                      timestamp=time.time_ns())
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
        """Starts a new episode (the server resets the agent with ``seed``)."""
        if self.welcome is None:
            self.connect()
        try:
            self._control({"kind": "reset", "session": self.session, "seed": int(seed)})
        except RemoteError as error:
            if error.code != "unknownSession":
                raise
            self._reconnect()
            self._control({"kind": "reset", "session": self.session, "seed": int(seed)})
        self.sequence = 0

    def heartbeat(self) -> None:
        """Keeps an idle session alive (send one per ``welcome['heartbeatInterval']`` when not stepping)."""
        self.sequence += 1
        reply = self._request(wire.encode_frame("heartbeat", self.session or 0, self.sequence), "heartbeat")
        if not wire.is_frame(reply):
            raise RemoteError(wire.decode_control(reply))

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
