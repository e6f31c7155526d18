"""A hand-driven ZeroMQ ROUTER standing in for ``pcctl serve`` in client unit tests.

It answers each request with whatever ``handler(payload, routing_id)`` returns (``None`` = no reply,
to exercise the client's retries), and records every request with the routing id it came from, so a
test can check what the client put on the wire without depending on the server's version.
"""
import threading

import zmq

from pckit_client import wire


class FakeServer:
    def __init__(self, endpoint, handler):
        self.endpoint = endpoint
        self.handler = handler
        self.requests = []  # (routing id, payload) in arrival order
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(5) or self._error:
            raise RuntimeError(f"fake server did not start: {self._error}")

    def _run(self):
        socket = zmq.Context.instance().socket(zmq.ROUTER)
        socket.setsockopt(zmq.LINGER, 0)
        # As pcctl serve 1.1 does: a reconnect with a known routing id takes the identity over
        # (without it, a Lazy-Pirate reopen racing the old connection's teardown is dropped).
        socket.setsockopt(zmq.ROUTER_HANDOVER, 1)
        try:
            socket.bind(self.endpoint)
        except zmq.ZMQError as error:
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        try:
            while not self._stop.is_set():
                if not socket.poll(20):
                    continue
                frames = socket.recv_multipart()
                envelope, payload = frames[:-1], frames[-1]
                self.requests.append((frames[0], payload))
                reply = self.handler(payload, frames[0])
                if reply is not None:
                    socket.send_multipart(envelope + [reply])
        finally:
            socket.close(linger=0)

    def close(self):
        self._stop.set()
        self._thread.join(5)

    def decoded(self, kind):
        """The recorded requests of one kind, decoded, with their routing ids."""
        out = []
        for identity, payload in self.requests:
            message = wire.decode_any(payload)
            if (message.kind if isinstance(message, wire.Frame) else message["kind"]) == kind:
                out.append((identity, message))
        return out


class Protocol11:
    """A well-behaved 1.1 server: welcome, actions with validUntil = step timestamp + offset, echoes.

    ``valid_for_ns`` is added to each step's timestamp (negative: an action already expired when sent);
    ``flags`` are set on every action; ``action`` is the value returned for every step."""

    def __init__(self, valid_for_ns=150_000_000, flags=0, action=0.75, session=5, protocol="1.1.0"):
        self.valid_for_ns = valid_for_ns
        self.flags = flags
        self.action = action
        self.session = session
        self.protocol = protocol
        self.drop_next_steps = 0  # steps to leave unanswered (the client's Lazy Pirate retries them)

    def __call__(self, payload, identity):
        message = wire.decode_any(payload)
        if isinstance(message, wire.Frame):
            if message.kind == "step":
                if self.drop_next_steps > 0:
                    self.drop_next_steps -= 1
                    return None
                return wire.encode_frame("action", message.session, message.sequence, [self.action],
                                         timestamp=max(0, message.timestamp + self.valid_for_ns), flags=self.flags)
            return wire.encode_frame("heartbeat", message.session, message.sequence, timestamp=message.timestamp)
        if message["kind"] == "hello":
            welcome = {"kind": "welcome", "protocol": self.protocol, "session": self.session,
                       "observationDimension": len(message["observationSpace"]["low"]),
                       "actionDimension": len(message["actionSpace"]["low"]),
                       "heartbeatInterval": 1.0, "idleTimeout": 10.0, "warnings": []}
            if self.protocol != "1.0.0":
                welcome["actionValidity"] = self.valid_for_ns / 1e9
                welcome["computeDeadline"] = message["controlPeriod"] / 2
            return wire.encode_control(welcome)
        return wire.encode_control(message)  # reset and bye are echoed
