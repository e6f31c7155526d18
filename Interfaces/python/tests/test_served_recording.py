"""pcctl serve --record: a served learning agent's session, recorded to MCAP by the server, replays
bit for bit with ``pcctl replay`` — its learning (model swaps) included. Oracles: the actions the
robot received (the recorded agent actions, clipped to the action box), the official ``mcap``
reader and ``jsonschema`` for the file, and the replay itself."""
import json
import os
import pathlib
import subprocess

import gymnasium as gym
import jsonschema
import numpy as np
from mcap.reader import make_reader

from conftest import ROOT, pcctl_path, unique_ipc
from pckit_client import RemoteAgent

CONFIG = ROOT / "Examples" / "configs" / "pendulum-learning.json"
# The learning agent's step is heavy in a debug build: serve from the release build when make test built it.
SERVER = os.environ.get("PCKIT_TIMING_PCCTL") or pcctl_path()
# A control period of 2 s with the whole period as compute deadline: no step stops at its deadline
# (which would make its action depend on timing), even in a debug build on a loaded machine.
PERIOD = 2.0
STEPS_PER_EPISODE, EPISODES = 120, 3


def learning_config():
    config = json.loads(CONFIG.read_text())
    learning = config["learning"]
    learning.update(explorationSteps=100, swapInterval=20, controlPeriod=PERIOD)
    learning["learner"]["timeStep"] = PERIOD
    return config


def test_served_learning_session_replays_bit_for_bit_including_its_learning(tmp_path):
    endpoint = unique_ipc("record")
    directory = tmp_path / "sessions"
    server = subprocess.Popen([SERVER, "serve", "--bind", endpoint, "--record", str(directory), "--compute-fraction", "1",
                               "--max-compute-deadline", "10"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    received = []
    try:
        assert server.stdout.readline().strip(), server.stderr.read()
        env = gym.make("Pendulum-v1")
        agent = RemoteAgent(endpoint, ([-np.inf, -8.0], [np.inf, 8.0]), ([-2.0], [2.0]), learning_config(),
                            robot="recorded-pendulum", control_period=PERIOD, scalar="float64", timeout=30.0)
        with agent:
            for episode in range(EPISODES):
                env.reset(seed=episode)
                agent.reset(100 + episode)
                for _ in range(STEPS_PER_EPISODE):
                    theta, theta_dot = env.unwrapped.state
                    action = agent.step(np.array([theta, theta_dot], dtype=np.float64))
                    received.append(float(action[0]))
                    env.step(action.astype(np.float32))
        env.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()
        server.stderr.close()
    files = sorted(directory.glob("session-*-recorded-pendulum.mcap"))
    assert len(files) == 1, list(directory.iterdir())
    recording = files[0]

    # The official reader: every message validates; the actions are what the robot received, before clipping.
    messages = []
    with open(recording, "rb") as f:
        for schema, channel, message in make_reader(f).iter_messages():
            document = json.loads(message.data)
            jsonschema.validate(document, json.loads(schema.data))
            messages.append((channel.topic, document))
    actions = [m for topic, m in messages if topic == "/pckit/action"]
    assert len(actions) == EPISODES * STEPS_PER_EPISODE
    assert [min(2.0, max(-2.0, a["values"][0])) for a in actions] == received
    assert [m["seed"] for topic, m in messages if topic == "/pckit/episode"] == [100, 101, 102]
    beliefs = [m for topic, m in messages if topic == "/pckit/beliefs"]
    assert beliefs[0]["phase"] == [0] and beliefs[-1]["phase"] == [1]   # explored, then controlled on its model
    assert beliefs[-1]["modelVersion"][0] >= 5                          # and swapped models while it learned
    config = messages[0][1]
    assert config["format"] == "pckit-served-session/1" and config["robot"] == "recorded-pendulum"

    replay = subprocess.run([SERVER, "replay", str(recording), "--json"], capture_output=True, text=True, timeout=900)
    assert replay.returncode == 0, replay.stdout + replay.stderr
    report = json.loads(replay.stdout)
    assert report["identical"] is True and report["steps"] == EPISODES * STEPS_PER_EPISODE and report["episodes"] == EPISODES

    # Another kernel path rounds the learning differently; the replay runs on the recorded one even when asked for another.
    env = dict(os.environ, PCKIT_KERNELS="baseline")
    pinned = subprocess.run([SERVER, "replay", str(recording), "--json"], capture_output=True, text=True, timeout=900, env=env)
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr
    pinned_report = json.loads(pinned.stdout)
    assert pinned_report["kernels"] == pinned_report["recordedKernels"] == config["kernels"]

    # Export: the learning beliefs as numpy arrays, one row per step.
    exported = tmp_path / "session.npz"
    result = subprocess.run([SERVER, "export", str(recording), "--output", str(exported)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    arrays = np.load(exported)
    assert arrays["beliefs.modelVersion"].shape == (EPISODES * STEPS_PER_EPISODE, 1)
    assert arrays["beliefs.modelVersion"][-1, 0] == beliefs[-1]["modelVersion"][0]
    assert arrays["action.values"][:, 0].clip(-2, 2).tolist() == received

    # A changed learning option changes the learning, and the replay finds where.
    changed = subprocess.run([SERVER, "replay", str(recording), "--set", "learning.swapInterval=21", "--json"],
                             capture_output=True, text=True, timeout=900)
    assert changed.returncode == 1, changed.stderr
    divergence = json.loads(changed.stdout)["firstDivergence"]
    assert divergence["identicalSteps"] > 100  # identical while exploring and until the first differing swap
