"""The PCKit wire protocol (Interfaces/protocol/PROTOCOL.md) in Python: binary data frames and JSON
control messages. Frames are read with ``struct`` and ``numpy.frombuffer``; nothing is pickled."""
from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np

PROTOCOL_VERSION = "1.1.0"
MAJOR = 1
MAGIC = b"PCKW"
HEADER = struct.Struct("<4sBBHQQQIId")  # 48 bytes
HEADER_BYTES = HEADER.size
MAX_MESSAGE_BYTES = 65_536
MAX_VALUES = 4_096
MAX_SEED = 2 ** 53 - 1           # reset.seed is an integer in 0…MAX_SEED
MAX_SESSION_ID = 2 ** 53 - 1     # session ids are in 1…MAX_SESSION_ID
MAX_ACTION_VALIDITY = 60.0       # hello.actionValidity: seconds, finite, > 0, ≤ this

KIND_CODES = {"hello": 1, "welcome": 2, "step": 3, "action": 4, "reset": 5, "bye": 6,
              "heartbeat": 7, "error": 8, "telemetry": 9}
KIND_NAMES = {v: k for k, v in KIND_CODES.items()}
# Control-message fields that hold integers (read as int even when written as 5.0).
INTEGER_FIELDS = ("session", "sequence", "seed", "observationDimension", "actionDimension")
DATA_KINDS = {"step", "action", "heartbeat", "telemetry"}

FLAG_FLOAT64 = 1 << 0
FLAG_CONVERGED = 1 << 1
FLAG_WARNING = 1 << 2
FLAG_REPLAYED = 1 << 3
FLAG_OUT_OF_BOUNDS = 1 << 4        # an observation coordinate was outside the hello's bounds
FLAG_DEADLINE_EXCEEDED = 1 << 5    # planning stopped at the compute deadline: best plan so far

# The error codes a server sends (error.code), protocol 1.1.
ERROR_CODES = (
    "malformedFrame", "badMagic", "unsupportedVersion", "unknownKind", "unexpectedKind", "frameSizeMismatch",
    "tooManyValues", "nonFiniteValue", "malformedJSON", "invalidMessage", "tooLarge", "unknownSession",
    "outOfOrderSequence", "dimensionMismatch", "agentRejected", "agentFailure", "serverFull",
    "notOwner", "peerLimit", "observationOutOfBounds", "sessionBusy",
)


class WireError(ValueError):
    """A frame or message breaks a protocol rule; ``code`` is the protocol's error code name."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass
class Frame:
    """A decoded data frame: header fields plus ``values`` (float64 array, or float32 view)."""
    kind: str
    flags: int
    session: int
    sequence: int
    timestamp: int
    values: np.ndarray
    iterations: int = 0
    free_energy: float = 0.0

    @property
    def count(self) -> int:
        return int(self.values.shape[0])

    @property
    def valid_until_ns(self) -> int:
        """(action) The robot-clock instant, ns, after which this action must not be applied: the
        step's timestamp + the session's action validity (the timestamp field of an action frame)."""
        return self.timestamp

    @property
    def out_of_bounds(self) -> bool:
        return bool(self.flags & FLAG_OUT_OF_BOUNDS)

    @property
    def deadline_exceeded(self) -> bool:
        return bool(self.flags & FLAG_DEADLINE_EXCEEDED)

    @property
    def replayed(self) -> bool:
        return bool(self.flags & FLAG_REPLAYED)


def encode_frame(kind: str, session: int, sequence: int, values: Sequence[float] | np.ndarray = (),
                 *, float64: bool = False, timestamp: int = 0, flags: int = 0,
                 iterations: int = 0, free_energy: float = 0.0) -> bytes:
    """Encodes a data frame. ``values`` are narrowed to float32 unless ``float64``."""
    if kind not in DATA_KINDS:
        raise ValueError(f"{kind} is not a data-plane kind")
    array = np.asarray(values, dtype="<f8" if float64 else "<f4").reshape(-1)
    if array.shape[0] > MAX_VALUES:
        raise ValueError(f"{array.shape[0]} values exceed the limit of {MAX_VALUES}")
    flags = (flags | FLAG_FLOAT64) if float64 else (flags & ~FLAG_FLOAT64)
    head = HEADER.pack(MAGIC, MAJOR, KIND_CODES[kind], flags, session, sequence, timestamp,
                       array.shape[0], iterations, free_energy)
    return head + array.tobytes()


def decode_frame(data: bytes) -> Frame:
    """Decodes and validates a data frame; raises :class:`WireError` naming the first broken rule."""
    n = len(data)
    if n > MAX_MESSAGE_BYTES:
        raise WireError("tooLarge", f"message of {n} bytes exceeds the limit of {MAX_MESSAGE_BYTES}")
    if bytes(data[:4]) != MAGIC:  # whatever the length, even 0–3 bytes
        raise WireError("badMagic", f"bad magic {bytes(data[:4])!r}: a payload must start with b'PCKW' "
                                    f"(data frame) or '{{' (JSON control message)")
    if n < HEADER_BYTES:
        raise WireError("malformedFrame", f"frame starting with PCKW has {n} bytes, shorter than the "
                                          f"{HEADER_BYTES}-byte header")
    _, major, kind, flags, session, sequence, timestamp, count, iterations, free_energy = HEADER.unpack_from(data)
    if major != MAJOR:
        raise WireError("unsupportedVersion", f"protocol major version {major} is not supported")
    if kind not in KIND_NAMES:
        raise WireError("unknownKind", f"unknown message kind {kind}: binary frames carry 3 (step), 4 (action), "
                                       f"7 (heartbeat) or 9 (telemetry)")
    if KIND_NAMES[kind] not in DATA_KINDS:
        raise WireError("unexpectedKind", f"kind {kind} ({KIND_NAMES[kind]}) is a JSON control message: send it "
                                          f"as JSON with \"kind\":\"{KIND_NAMES[kind]}\", not as a binary frame")
    if count > MAX_VALUES:
        raise WireError("tooManyValues", f"count {count} exceeds the limit of {MAX_VALUES} values")
    width = 8 if flags & FLAG_FLOAT64 else 4
    if n != HEADER_BYTES + width * count:
        raise WireError("frameSizeMismatch", f"frame has {n} bytes but announces {count} values")
    values = np.frombuffer(data, dtype="<f8" if width == 8 else "<f4", count=count, offset=HEADER_BYTES)
    if not np.all(np.isfinite(values)):
        index = int(np.flatnonzero(~np.isfinite(values))[0])
        raise WireError("nonFiniteValue", f"value[{index}] is {values[index]}")
    return Frame(KIND_NAMES[kind], flags, session, sequence, timestamp, values, iterations, free_energy)


def is_frame(data: bytes) -> bool:
    return len(data) >= 4 and data[:4] == MAGIC


def space_to_wire(low: Sequence[float], high: Sequence[float]) -> dict:
    """A box as sent in a hello: infinite bounds become ``None`` (JSON has no infinity)."""
    def side(xs):
        return [None if not math.isfinite(float(x)) else float(x) for x in np.asarray(xs, dtype=float).reshape(-1)]
    return {"low": side(low), "high": side(high)}


def hello(robot: str, observation_space: dict, action_space: dict, control_period: float,
          agent: Optional[dict] = None, scalar: str = "float32", protocol: str = PROTOCOL_VERSION,
          action_validity: Optional[float] = None) -> dict:
    """A hello. ``action_validity`` (seconds, finite, > 0, ≤ 60) is how long each action stays valid
    after its step's timestamp; ``None`` leaves it out (the server then uses 3 × ``control_period``)."""
    message = {"kind": "hello", "protocol": protocol, "robot": robot, "observationSpace": observation_space,
               "actionSpace": action_space, "controlPeriod": float(control_period), "scalar": scalar,
               "agent": agent if agent is not None else {}}
    if action_validity is not None:
        validity = float(action_validity)
        if not (math.isfinite(validity) and 0 < validity <= MAX_ACTION_VALIDITY):
            raise ValueError(f"action_validity {action_validity!r} must be seconds, finite, > 0 and "
                             f"≤ {MAX_ACTION_VALIDITY:g}; pass None for 3 × control_period")
        message["actionValidity"] = validity
    return message


def check_seed(seed: Any) -> int:
    """``seed`` as a reset seed: an integer (or integral float) in 0…2^53−1; else ValueError."""
    if isinstance(seed, bool) or not isinstance(seed, (int, float, np.integer, np.floating)):
        raise ValueError(f"reset seed {seed!r} is a {type(seed).__name__}: give an integer in 0…{MAX_SEED}")
    if isinstance(seed, (float, np.floating)) and not (math.isfinite(seed) and float(seed).is_integer()):
        raise ValueError(f"reset seed {seed!r} is not a whole number: give an integer in 0…{MAX_SEED}")
    value = int(seed)
    if not 0 <= value <= MAX_SEED:
        raise ValueError(f"reset seed {value} is outside 0…{MAX_SEED} (2^53 − 1, exact in every JSON library)")
    return value


def encode_control(message: dict) -> bytes:
    return json.dumps(message, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def decode_control(data: bytes) -> dict:
    """Decodes a JSON control message (a dict with a ``kind``); raises :class:`WireError`."""
    try:
        message = json.loads(bytes(data).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WireError("malformedJSON", str(error)) from None
    if not isinstance(message, dict) or not isinstance(message.get("kind"), str):
        raise WireError("malformedJSON", "not an object with a string kind")
    # JSON does not tell 5 from 5.0: integer fields arrive as ints whichever way the sender wrote them.
    for key in INTEGER_FIELDS:
        value = message.get(key)
        if isinstance(value, float) and value.is_integer():
            message[key] = int(value)
    return message


def decode_any(data: bytes) -> Any:
    """A frame (:class:`Frame`) or a control message (dict), whichever ``data`` holds."""
    return decode_frame(data) if is_frame(data) else decode_control(data)
