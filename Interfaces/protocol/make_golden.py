#!/usr/bin/env python3
"""Writes the golden messages of PROTOCOL.md from the specification alone (struct + json).

Independent of both the Swift (PCWire) and the Python (pckit_client) codecs, which each test that
they decode these files to the values in manifest.json and encode those values back to the same
bytes. The outputs are committed; rerunning it replaces every file in golden/ (a test checks that
the committed files are what it writes). Usage: python3 make_golden.py
"""
import json
import math
import pathlib
import struct

HERE = pathlib.Path(__file__).parent / "golden"
HEADER = "<4sBBHQQQIId"  # magic, major, kind, flags, session, sequence, timestamp, count, iterations, freeEnergy
KINDS = {"step": 3, "action": 4, "heartbeat": 7, "telemetry": 9}


def frame(kind, flags, session, sequence, timestamp, values, iterations=0, free_energy=0.0):
    head = struct.pack(HEADER, b"PCKW", 1, KINDS[kind], flags, session, sequence, timestamp,
                       len(values), iterations, free_energy)
    fmt = "<%d%s" % (len(values), "d" if flags & 1 else "f")
    return head + struct.pack(fmt, *values)


# A session id below 2^53: every session id on the wire is in 1…2^53−1 (exact in any JSON library).
SESSION = 0x0012_3456_789A_BCDE
# The step's timestamp is the robot's monotonic clock (any epoch; here one hour after boot) ...
STEP_TIMESTAMP = 3_600_123_456_789
# ... and the action answering it carries validUntil = step timestamp + the session's action
# validity (0.15 s = 3 × the 0.05 s control period), in nanoseconds on the robot's clock.
ACTION_VALIDITY = 0.15
VALID_UNTIL = STEP_TIMESTAMP + round(ACTION_VALIDITY * 1e9)

FLAG_FLOAT64, FLAG_CONVERGED, FLAG_WARNING, FLAG_REPLAYED = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FLAG_OUT_OF_BOUNDS, FLAG_DEADLINE_EXCEEDED = 1 << 4, 1 << 5


def main(out=HERE):
    out = pathlib.Path(out)
    out.mkdir(exist_ok=True)
    for old in out.iterdir():
        old.unlink()
    frames = {
        "step_f32.bin": dict(kind="step", flags=0, session=SESSION, sequence=42,
                             timestamp=STEP_TIMESTAMP, values=[1.0, -0.5, 0.25]),
        "step_f64.bin": dict(kind="step", flags=FLAG_FLOAT64, session=7, sequence=1,
                             timestamp=0, values=[math.pi, -1e-300, 12345.678]),
        "action_f32.bin": dict(kind="action", flags=FLAG_CONVERGED, session=SESSION, sequence=42,
                               timestamp=VALID_UNTIL, values=[-2.0],
                               iterations=17, free_energy=3.5, validUntilOf="step_f32.bin",
                               actionValidity=ACTION_VALIDITY),
        "action_flags_f64.bin": dict(kind="action",
                                     flags=FLAG_FLOAT64 | FLAG_WARNING | FLAG_OUT_OF_BOUNDS | FLAG_DEADLINE_EXCEEDED,
                                     session=SESSION, sequence=43, timestamp=2 ** 64 - 1, values=[0.5, -0.25],
                                     iterations=3, free_energy=-1.25),
        "heartbeat.bin": dict(kind="heartbeat", flags=0, session=99, sequence=5,
                              timestamp=123, values=[]),
    }
    manifest = {"frames": {}, "control": {}}
    for name, spec in frames.items():
        data = frame(spec["kind"], spec["flags"], spec["session"], spec["sequence"], spec["timestamp"],
                     spec["values"], spec.get("iterations", 0), spec.get("free_energy", 0.0))
        (out / name).write_bytes(data)
        manifest["frames"][name] = {
            "kind": spec["kind"], "flags": spec["flags"], "session": spec["session"],
            "sequence": spec["sequence"], "timestamp": spec["timestamp"], "count": len(spec["values"]),
            "iterations": spec.get("iterations", 0), "freeEnergy": spec.get("free_energy", 0.0),
            "values": spec["values"], "length": len(data),
        }
        if "validUntilOf" in spec:
            # timestamp == frames[validUntilOf].timestamp + round(actionValidity × 1e9)
            manifest["frames"][name]["validUntilOf"] = spec["validUntilOf"]
            manifest["frames"][name]["actionValidity"] = spec["actionValidity"]
    control = {
        "hello.json": {"kind": "hello", "protocol": "1.1.0", "robot": "pendulum-1",
                       "observationSpace": {"low": [-1.0, -1.0, -8.0], "high": [1.0, 1.0, 8.0]},
                       "actionSpace": {"low": [-2.0], "high": [2.0]},
                       "controlPeriod": 0.05, "scalar": "float32", "actionValidity": ACTION_VALIDITY,
                       "agent": {"type": "linear", "gain": [[0.0, 19.69, 5.26]], "target": [1.0, 0.0, 0.0]}},
        "hello_unbounded.json": {"kind": "hello", "protocol": "1.2.0", "robot": "arm",
                                 "observationSpace": {"low": [None, -1.0], "high": [None, 1.0]},
                                 "actionSpace": {"low": [-1.0], "high": [1.0]},
                                 "controlPeriod": 0.001, "scalar": "float64", "agent": {}},
        "welcome.json": {"kind": "welcome", "protocol": "1.1.0", "session": SESSION,
                         "observationDimension": 3, "actionDimension": 1,
                         "heartbeatInterval": 1.0, "idleTimeout": 10.0, "warnings": [],
                         "actionValidity": ACTION_VALIDITY, "computeDeadline": 0.025},
        "welcome_1_0.json": {"kind": "welcome", "protocol": "1.0.0", "session": SESSION,
                             "observationDimension": 3, "actionDimension": 1,
                             "heartbeatInterval": 1.0, "idleTimeout": 10.0, "warnings": []},
        "reset.json": {"kind": "reset", "session": SESSION, "seed": 7},
        "reset_max_seed.json": {"kind": "reset", "session": 2 ** 53 - 1, "seed": 2 ** 53 - 1},
        "bye.json": {"kind": "bye", "session": SESSION},
        "error.json": {"kind": "error", "code": "dimensionMismatch",
                       "message": "observation has 2 values, expected 3", "session": SESSION,
                       "sequence": 42},
        "error_not_owner.json": {"kind": "error", "code": "notOwner",
                                 "message": "session 5124095576030430 belongs to another client identity",
                                 "session": SESSION, "sequence": 44},
    }
    for name, obj in control.items():
        (out / name).write_text(json.dumps(obj, sort_keys=True) + "\n")
        manifest["control"][name] = obj
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
