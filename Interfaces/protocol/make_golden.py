#!/usr/bin/env python3
"""Writes the golden messages of PROTOCOL.md from the specification alone (struct + json).

Independent of both the Swift (PCWire) and the Python (pckit_client) codecs, which each test that
they decode these files to the values in manifest.json and encode those values back to the same
bytes. Run once; the outputs are committed. Usage: python3 make_golden.py
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


def main():
    HERE.mkdir(exist_ok=True)
    frames = {
        "step_f32.bin": dict(kind="step", flags=0, session=0x0123456789ABCDEF, sequence=42,
                             timestamp=1_700_000_000_123_456_789, values=[1.0, -0.5, 0.25]),
        "step_f64.bin": dict(kind="step", flags=1, session=7, sequence=1,
                             timestamp=0, values=[math.pi, -1e-300, 12345.678]),
        "action_f32.bin": dict(kind="action", flags=0b0010, session=0x0123456789ABCDEF, sequence=42,
                               timestamp=1_700_000_000_223_456_789, values=[-2.0],
                               iterations=17, free_energy=3.5),
        "heartbeat.bin": dict(kind="heartbeat", flags=0, session=99, sequence=5,
                              timestamp=123, values=[]),
    }
    manifest = {"frames": {}, "control": {}}
    for name, spec in frames.items():
        data = frame(spec["kind"], spec["flags"], spec["session"], spec["sequence"], spec["timestamp"],
                     spec["values"], spec.get("iterations", 0), spec.get("free_energy", 0.0))
        (HERE / name).write_bytes(data)
        manifest["frames"][name] = {
            "kind": spec["kind"], "flags": spec["flags"], "session": spec["session"],
            "sequence": spec["sequence"], "timestamp": spec["timestamp"], "count": len(spec["values"]),
            "iterations": spec.get("iterations", 0), "freeEnergy": spec.get("free_energy", 0.0),
            "values": spec["values"], "length": len(data),
        }
    control = {
        "hello.json": {"kind": "hello", "protocol": "1.0.0", "robot": "pendulum-1",
                       "observationSpace": {"low": [-1.0, -1.0, -8.0], "high": [1.0, 1.0, 8.0]},
                       "actionSpace": {"low": [-2.0], "high": [2.0]},
                       "controlPeriod": 0.05, "scalar": "float32",
                       "agent": {"type": "linear", "gain": [[0.0, 19.69, 5.26]], "target": [1.0, 0.0, 0.0]}},
        "hello_unbounded.json": {"kind": "hello", "protocol": "1.2.0", "robot": "arm",
                                 "observationSpace": {"low": [None, -1.0], "high": [None, 1.0]},
                                 "actionSpace": {"low": [-1.0], "high": [1.0]},
                                 "controlPeriod": 0.001, "scalar": "float64", "agent": {}},
        "welcome.json": {"kind": "welcome", "protocol": "1.0.0", "session": 81985529216486895,
                         "observationDimension": 3, "actionDimension": 1,
                         "heartbeatInterval": 1.0, "idleTimeout": 10.0, "warnings": []},
        "reset.json": {"kind": "reset", "session": 81985529216486895, "seed": 7},
        "bye.json": {"kind": "bye", "session": 81985529216486895},
        "error.json": {"kind": "error", "code": "dimensionMismatch",
                       "message": "observation has 2 values, expected 3", "session": 81985529216486895,
                       "sequence": 42},
    }
    for name, obj in control.items():
        (HERE / name).write_text(json.dumps(obj, sort_keys=True) + "\n")
        manifest["control"][name] = obj
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
