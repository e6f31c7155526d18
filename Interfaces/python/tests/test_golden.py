"""The golden messages of Interfaces/protocol decode to the manifest and re-encode to the same bytes."""
import json
import math

import numpy as np
import pytest

from conftest import GOLDEN
from pckit_client import wire

MANIFEST = json.loads((GOLDEN / "manifest.json").read_text())


@pytest.mark.parametrize("name", sorted(MANIFEST["frames"]))
def test_frames(name):
    expected = MANIFEST["frames"][name]
    data = (GOLDEN / name).read_bytes()
    assert len(data) == expected["length"]
    frame = wire.decode_frame(data)
    assert frame.kind == expected["kind"]
    assert frame.flags == expected["flags"]
    assert frame.session == expected["session"]
    assert frame.sequence == expected["sequence"]
    assert frame.timestamp == expected["timestamp"]
    assert frame.count == expected["count"]
    assert frame.iterations == expected["iterations"]
    assert frame.free_energy == expected["freeEnergy"]
    float64 = bool(frame.flags & wire.FLAG_FLOAT64)
    stored = np.asarray(expected["values"], dtype=np.float64 if float64 else np.float32)
    assert np.array_equal(frame.values, stored)
    if "validUntilOf" in expected:
        # An action's timestamp is validUntil: its step's timestamp + the action validity, in ns.
        step = MANIFEST["frames"][expected["validUntilOf"]]
        assert frame.kind == "action"
        assert frame.valid_until_ns == step["timestamp"] + round(expected["actionValidity"] * 1e9)
    again = wire.encode_frame(frame.kind, frame.session, frame.sequence, expected["values"], float64=float64,
                              timestamp=frame.timestamp, flags=frame.flags, iterations=frame.iterations,
                              free_energy=frame.free_energy)
    assert again == data


@pytest.mark.parametrize("name", sorted(MANIFEST["control"]))
def test_control(name):
    data = (GOLDEN / name).read_bytes()
    message = wire.decode_control(data)
    assert message == MANIFEST["control"][name]
    assert json.loads(wire.encode_control(message)) == json.loads(data)


def test_rules_are_named():
    good = wire.encode_frame("step", 5, 9, [1.0, 2.0, 3.0])
    with pytest.raises(wire.WireError, match="malformedFrame"):
        wire.decode_frame(good[:47])
    with pytest.raises(wire.WireError, match="frameSizeMismatch"):
        wire.decode_frame(good[:-1])
    with pytest.raises(wire.WireError, match="badMagic"):
        wire.decode_frame(b"XCKW" + good[4:])
    with pytest.raises(wire.WireError, match="unsupportedVersion"):
        wire.decode_frame(good[:4] + b"\x02" + good[5:])
    with pytest.raises(wire.WireError, match="nonFiniteValue"):
        wire.decode_frame(wire.encode_frame("step", 5, 9, [1.0, math.nan, 3.0]))
    with pytest.raises(wire.WireError, match="malformedJSON"):
        wire.decode_control(b"{nope")


def test_hello_maps_infinite_bounds_to_null():
    space = wire.space_to_wire([-math.inf, -1.0], [math.inf, 1.0])
    assert space == {"low": [None, -1.0], "high": [None, 1.0]}
    golden = json.loads((GOLDEN / "hello_unbounded.json").read_text())
    assert golden["observationSpace"] == space


def test_golden_ids_and_versions_follow_1_1():
    for name, message in MANIFEST["control"].items():
        if "session" in message:
            assert 1 <= message["session"] <= wire.MAX_SESSION_ID, name
    assert MANIFEST["control"]["hello.json"]["protocol"] == wire.PROTOCOL_VERSION
    assert MANIFEST["control"]["welcome.json"]["actionValidity"] == 0.15
    assert MANIFEST["control"]["reset_max_seed.json"]["seed"] == wire.MAX_SEED
    assert wire.check_seed(MANIFEST["control"]["reset.json"]["seed"]) == 7
    assert MANIFEST["control"]["error_not_owner.json"]["code"] in wire.ERROR_CODES
    flags = MANIFEST["frames"]["action_flags_f64.bin"]["flags"]
    assert flags & wire.FLAG_OUT_OF_BOUNDS and flags & wire.FLAG_DEADLINE_EXCEEDED
    hello = MANIFEST["control"]["hello.json"]
    rebuilt = wire.hello(hello["robot"], hello["observationSpace"], hello["actionSpace"], hello["controlPeriod"],
                         hello["agent"], hello["scalar"], action_validity=hello["actionValidity"])
    assert rebuilt == hello


def test_committed_golden_files_are_what_make_golden_writes(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_golden", GOLDEN.parent / "make_golden.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    fresh = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    committed = {p.name: p.read_bytes() for p in GOLDEN.iterdir()}
    assert fresh == committed
