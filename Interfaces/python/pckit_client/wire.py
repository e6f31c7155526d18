"""The PCKit wire protocol (Interfaces/protocol/PROTOCOL.md) in Python: binary data frames and JSON
control messages. Frames are read with ``struct`` and ``numpy.frombuffer``; nothing is pickled."""
from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np

PROTOCOL_VERSION = "1.0.0"
MAJOR = 1
MAGIC = b"PCKW"
HEADER = struct.Struct("<4sBBHQQQIId")  # 48 bytes
HEADER_BYTES = HEADER.size
MAX_MESSAGE_BYTES = 65_536
MAX_VALUES = 4_096

KIND_CODES = {"hello": 1, "welcome": 2, "step": 3, "action": 4, "reset": 5, "bye": 6,
              "heartbeat": 7, "error": 8, "telemetry": 9}
KIND_NAMES = {v: k for k, v in KIND_CODES.items()}
DATA_KINDS = {"step", "action", "heartbeat", "telemetry"}

FLAG_FLOAT64 = 1 << 0
FLAG_CONVERGED = 1 << 1
FLAG_WARNING = 1 << 2
FLAG_REPLAYED = 1 << 3


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
    if n >= 4 and data[:4] != MAGIC:
        raise WireError("badMagic", f"bad magic {bytes(data[:4])!r}")
    if n < HEADER_BYTES:
        raise WireError("malformedFrame", f"frame of {n} bytes is shorter than the {HEADER_BYTES}-byte header")
    _, major, kind, flags, session, sequence, timestamp, count, iterations, free_energy = HEADER.unpack_from(data)
    if major != MAJOR:
        raise WireError("unsupportedVersion", f"protocol major version {major} is not supported")
    if kind not in KIND_NAMES:
        raise WireError("unknownKind", f"unknown message kind {kind}")
    if KIND_NAMES[kind] not in DATA_KINDS:
        raise WireError("unexpectedKind", f"{KIND_NAMES[kind]} is not a data-plane kind")
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
          agent: Optional[dict] = None, scalar: str = "float32", protocol: str = PROTOCOL_VERSION) -> dict:
    return {"kind": "hello", "protocol": protocol, "robot": robot, "observationSpace": observation_space,
            "actionSpace": action_space, "controlPeriod": float(control_period), "scalar": scalar,
            "agent": agent if agent is not None else {}}


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
    return message


def decode_any(data: bytes) -> Any:
    """A frame (:class:`Frame`) or a control message (dict), whichever ``data`` holds."""
    return decode_frame(data) if is_frame(data) else decode_control(data)
