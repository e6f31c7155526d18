"""pcctl run --record / pcctl replay: sessions recorded to MCAP replay bit for bit.

The official ``mcap`` reader (PyPI) is the oracle for the file format, ``jsonschema`` for the
messages against their channels' schemas; a second recording made with a changed option is the
oracle for where a replay with that change must first diverge. pcctl is $PCCTL, else
.build/debug/pcctl.
"""
import json
import math
import os
import pathlib
import struct
import subprocess

import jsonschema
import pytest
from mcap.reader import make_reader

ROOT = pathlib.Path(__file__).resolve().parents[2]

# task → (pcctl run arguments, agent steps recorded; None: as many as the episodes took)
RECORDINGS = {
    "pendulum": (["pendulum", "--episodes", "3"], 600),
    "mountaincar": (["mountaincar", "--episodes", "1"], None),      # ends at the flag, ~18 agent steps
    "kinematic-arm": (["kinematic-arm", "--episodes", "2"], 1_000),
    "arm-uaic": (["arm-uaic"], 10_000),
    "lightdark": (["lightdark", "--agent", "efe", "--episodes", "2"], 60),
    # A learning agent: 600 steps of interaction (learning), frozen, then one scored episode of 200.
    "learned": (["pendulum", "--agent", "learned", "--learning-steps", "600", "--babbling-steps", "200", "--episodes", "1",
                 "--no-reference"], 800),
}
# Perceptions outside steps: light-dark's scoring reading after each step; the learning agent's last
# state of each interaction episode.
PERCEPTIONS = {"lightdark": 60, "learned": 3}


def pcctl_path() -> str:
    for candidate in [os.environ.get("PCCTL"), ROOT / ".build" / "debug" / "pcctl"]:
        if candidate and pathlib.Path(candidate).is_file():
            return str(candidate)
    raise RuntimeError("pcctl not found: run `swift build --product pcctl` (or set $PCCTL)")


def pcctl(*args, check=True):
    result = subprocess.run([pcctl_path(), *map(str, args)], capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"pcctl {' '.join(map(str, args))} exited {result.returncode}: {result.stderr}")
    return result


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    directory = tmp_path_factory.mktemp("recordings")
    paths = {}
    for task, (arguments, _) in RECORDINGS.items():
        paths[task] = directory / f"{task}.mcap"
        pcctl("run", *arguments, "--record", paths[task], "--json")
    return paths


def read(path):
    """Every message as (topic, schema, decoded JSON), through the official reader."""
    with open(path, "rb") as f:
        return [(channel.topic, schema, json.loads(message.data)) for schema, channel, message in make_reader(f).iter_messages()]


def from_bits(bits):
    return struct.unpack(">d", bytes.fromhex(bits))[0]


def actions(path):
    return [(m["episode"], m["step"], m["bits"]) for topic, _, m in read(path) if topic == "/pckit/action"]


@pytest.mark.parametrize("task", RECORDINGS)
def test_replay_reports_every_action_identical(recordings, task):
    report = json.loads(pcctl("replay", recordings[task], "--json").stdout)
    assert report["identical"] is True and report.get("firstDivergence") is None
    assert report["steps"] == (RECORDINGS[task][1] or len(actions(recordings[task]))) and report["steps"] > 0
    text = pcctl("replay", recordings[task]).stdout
    assert "every action identical (bit for bit)" in text


@pytest.mark.parametrize("task", RECORDINGS)
def test_official_reader_reads_and_every_message_validates(recordings, task):
    messages = read(recordings[task])
    validators = {}
    counts = {}
    for topic, schema, message in messages:
        assert schema.encoding == "jsonschema"
        if schema.id not in validators:
            document = json.loads(schema.data)
            jsonschema.Draft202012Validator.check_schema(document)
            validators[schema.id] = jsonschema.Draft202012Validator(document)
        validators[schema.id].validate(message)
        counts[topic] = counts.get(topic, 0) + 1
    steps = RECORDINGS[task][1] or counts["/pckit/action"]
    assert counts["/pckit/config"] == 1
    assert counts["/pckit/action"] == counts["/pckit/diagnostics"] == counts["/pckit/beliefs"] == steps
    perceptions = [m for topic, _, m in messages if topic == "/pckit/observation" and not m["acted"]]
    assert counts["/pckit/observation"] == steps + len(perceptions) and len(perceptions) == PERCEPTIONS.get(task, 0)
    config = messages[0][2]
    assert config["task"] == RECORDINGS[task][0][0] and config["format"] == "pckit-session/1"
    if task == "learned":
        # The learning run: one switch to frozen before the scored episode, and the model it learned.
        assert [m["event"] for topic, _, m in messages if topic == "/pckit/event"] == ["learningFrozen"]
        beliefs = [m for topic, _, m in messages if topic == "/pckit/beliefs"]
        assert beliefs[0]["phase"] == [0] and beliefs[-1]["phase"] == [1] and beliefs[-1]["modelVersion"][0] >= 1
    # Each JSON number reads back as exactly the value its bit pattern holds.
    for topic, _, message in messages:
        if topic in ("/pckit/observation", "/pckit/action"):
            for value, bits in zip(message["values"], message["bits"]):
                exact = from_bits(bits)
                assert (value is None and not math.isfinite(exact)) or struct.pack(">d", value) == struct.pack(">d", exact)


def test_changed_option_is_caught_at_the_first_step_where_an_action_changes(recordings, tmp_path):
    recorded = recordings["pendulum"]
    config = read(recorded)[0][2]
    # The oracle: the same run with horizon 12, recorded, and the first step where the two sessions' actions differ.
    changed = dict(config["agent"])
    changed["predictiveController"] = dict(changed["predictiveController"], horizon=12)
    changed_path = tmp_path / "horizon12.json"
    changed_path.write_text(json.dumps(changed))
    other = tmp_path / "horizon12.mcap"
    pcctl("run", *RECORDINGS["pendulum"][0], "--agent", changed_path, "--record", other, "--json")
    pairs = list(zip(actions(recorded), actions(other)))
    first = next(i for i, (a, b) in enumerate(pairs) if a[2] != b[2])
    (episode, step, recorded_bits), (_, _, changed_bits) = pairs[first]
    for option in (["--set", "predictiveController.horizon=12"], ["--agent", changed_path]):
        result = pcctl("replay", recorded, *option, "--json", check=False)
        assert result.returncode == 1, result.stderr
        report = json.loads(result.stdout)
        divergence = report["firstDivergence"]
        assert report["identical"] is False
        assert (divergence["episode"], divergence["step"], divergence["identicalSteps"]) == (episode, step, first)
        assert divergence["recordedBits"] == recorded_bits and divergence["replayedBits"] == changed_bits
    text = pcctl("replay", recorded, "--set", "predictiveController.horizon=12", check=False).stdout
    assert f"diverge at episode {episode} step {step}" in text
    # The unchanged value replays identically; an unknown option is refused by name.
    assert pcctl("replay", recorded, "--set", f"predictiveController.horizon={config['agent']['predictiveController']['horizon']}").returncode == 0
    refused = pcctl("replay", recorded, "--set", "predictiveController.horizn=12", check=False)
    assert refused.returncode != 0 and "horizn" in refused.stderr and "horizon" in refused.stderr


def test_truncated_and_corrupt_recordings_are_typed_errors(recordings, tmp_path):
    data = pathlib.Path(recordings["lightdark"]).read_bytes()
    cases = {
        "truncated": (data[: len(data) // 2], "truncated"),
        "no-end": (data[:-4], "the MCAP magic needs 8 bytes"),
        "magic": (b"\x00" + data[1:], "not an MCAP file"),
        "length": (data[:9] + (1 << 62).to_bytes(8, "little") + data[17:], "more than the maximum"),
        "empty": (b"", "truncated"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / f"{name}.mcap"
        path.write_bytes(content)
        result = pcctl("replay", path, check=False)
        assert result.returncode != 0, name
        assert message in result.stderr and "offset" in result.stderr, (name, result.stderr)
    missing = pcctl("replay", tmp_path / "missing.mcap", check=False)
    assert missing.returncode != 0 and "cannot open" in missing.stderr


def test_record_refusals_name_what_works(tmp_path):
    out = tmp_path / "x.mcap"
    result = pcctl("run", "acrobot", "--episodes", "1", "--record", out, check=False)
    assert result.returncode != 0 and "pendulum, cartpole-swingup, reacher" in result.stderr
    result = pcctl("run", "lightdark", "--episodes", "1", "--record", out, check=False)
    assert result.returncode != 0 and "name a policy" in result.stderr
    result = pcctl("run", "pendulum", "--policy", "zero", "--record", out, check=False)
    assert result.returncode != 0 and "--record" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("task", ["pendulum", "lightdark"])
def test_export_npz_loads_with_numpy_and_matches_the_recording(recordings, task, tmp_path):
    import numpy as np

    out = tmp_path / f"{task}.npz"
    pcctl("export", recordings[task], "--format", "npz", "--output", out)
    arrays = np.load(out)  # no pickle: every array is plain numbers or text
    messages = read(recordings[task])
    by_topic = {}
    for topic, _, message in messages:
        by_topic.setdefault(topic, []).append(message)
    assert json.loads(str(arrays["config"])) == by_topic["/pckit/config"][0]
    assert arrays["episode.seed"].tolist() == [m["seed"] for m in by_topic["/pckit/episode"]]
    for channel in ("observation", "action"):
        recorded = by_topic[f"/pckit/{channel}"]
        exact = np.array([[from_bits(b) for b in m["bits"]] for m in recorded])
        assert arrays[f"{channel}.values"].dtype == np.float64
        assert arrays[f"{channel}.values"].tobytes() == exact.tobytes()  # bit for bit
        assert arrays[f"{channel}.step"].tolist() == [m["step"] for m in recorded]
    diagnostics = by_topic["/pckit/diagnostics"]
    assert arrays["diagnostics.iterations"].tolist() == [m["iterations"] for m in diagnostics]
    assert arrays["diagnostics.converged"].tolist() == [m["converged"] for m in diagnostics]
    assert arrays["diagnostics.warningBits"].tolist() == [m["warningBits"] for m in diagnostics]
    free_energy = [math.nan if m["freeEnergy"] is None else m["freeEnergy"] for m in diagnostics]
    np.testing.assert_array_equal(arrays["diagnostics.freeEnergy"], np.array(free_energy))
    beliefs = by_topic["/pckit/beliefs"]
    config = by_topic["/pckit/config"][0]
    for field in config["layout"]["beliefs"]:
        column = arrays[f"beliefs.{field['name']}"]
        assert column.shape == (len(beliefs), field["count"])
        np.testing.assert_array_equal(column, np.array([[math.nan if v is None else v for v in m[field["name"]]] for m in beliefs]))
    refused = pcctl("export", recordings[task], "--format", "parquet", check=False)
    assert refused.returncode != 0 and "npz" in refused.stderr


def test_load_session_example(recordings, tmp_path):
    """Examples/python/load_session.py reads an exported pendulum session."""
    import sys

    out = tmp_path / "s.npz"
    pcctl("export", recordings["pendulum"], "--output", out)
    result = subprocess.run([sys.executable, str(ROOT / "Examples" / "python" / "load_session.py"), str(out)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    words = result.stdout.split()
    assert words[:4] == ["steps", "600", "episodes", "3"] and 0 < float(words[5]) <= 2, result.stdout
