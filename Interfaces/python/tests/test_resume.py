"""A robot's learned model survives its session: ``pcctl serve --model-dir DIR`` saves a learning
agent's model when its session ends and restores it at the same robot's next hello, through the
real command line. A damaged file refuses the hello by name; a hostile robot name writes nothing
outside DIR. (The bit-for-bit comparison with the agent loaded in process is
Tests/PCBridgeTests/ResumedLearningAgentTests.swift.)"""
import json
import math
import os
import re

from conftest import ROOT
from test_hostile_bridge import Robot, context  # noqa: F401  (the fixture)


def learning_agent():
    """The shipped pendulum learning agent, shortened: 200 exploration steps, a swap every 20."""
    with open(ROOT / "Examples" / "configs" / "pendulum-state-learning.json") as f:
        agent = json.load(f)
    agent["learning"]["explorationSteps"] = 200
    agent["learning"]["swapInterval"] = 20
    agent["learning"]["learner"]["capacity"] = 2000
    agent["learning"]["planner"]["horizon"] = 10
    agent["learning"]["planner"]["iterations"] = 15
    return agent


def advance(x, torque):
    """A heavier pendulum (m 1.3, l 1.2) observed as (θ, θ̇), Gymnasium's equations."""
    u = min(max(torque, -2.0), 2.0)
    velocity = x[1] + (3 * 10 / (2 * 1.2) * math.sin(x[0]) + 3 / (1.3 * 1.2 * 1.2) * u) * 0.05
    velocity = min(max(velocity, -8.0), 8.0)
    return [x[0] + velocity * 0.05, velocity]


def test_a_reconnecting_robot_resumes_its_model(start_server, context, tmp_path):  # noqa: F811
    directory = tmp_path / "models"  # pcctl serve creates it
    server, endpoint = start_server("--model-dir", str(directory), "--compute-fraction", "1", lines=2)
    assert server.value("models") == str(directory)
    agent, name = learning_agent(), "../../escape/arm"
    spaces = dict(agent=agent, low=(None, -8), high=(None, 8))

    robot = Robot(context, endpoint)
    assert robot.hello(robot=name, **spaces)["warnings"] == []
    x = [math.pi, 0.0]
    for _ in range(260):
        reply = robot.step(x)
        assert "values" in reply, reply
        x = advance(x, reply["values"][0])
    assert json.loads(robot.request(json.dumps({"kind": "bye", "session": robot.session}).encode()))["kind"] == "bye"
    robot.close()
    # Answered after the file was written: one file, a safe name, nothing outside the directory.
    files = os.listdir(directory)
    assert len(files) == 1 and re.fullmatch(r"robot-[A-Za-z0-9._-]+--[0-9a-f]{16}\.pcla", files[0]), files
    assert os.listdir(tmp_path) == ["models"]
    saved = (directory / files[0]).read_bytes()
    assert saved[:4] == b"PCLA"

    # The same robot name, a new connection and routing id: it resumes and acts at once.
    again = Robot(context, endpoint)
    warnings = again.hello(robot=name, **spaces)["warnings"]
    resumed = [w for w in warnings if w.startswith("resumed model version ")]
    assert len(resumed) == 1 and files[0] in resumed[0], warnings
    assert int(resumed[0].split()[3]) >= 2, resumed  # modelVersion ≥ 2: it controlled and swapped
    assert "values" in again.step([math.pi, 0.0])
    again.close()

    # A flipped byte: the hello gets agentRejected naming the file and the checksum; the file stays.
    damaged = bytearray(saved)
    damaged[len(damaged) // 2] ^= 0x40
    (directory / files[0]).write_bytes(bytes(damaged))
    refused = Robot(context, endpoint)
    reply = json.loads(refused.request(json.dumps({
        "kind": "hello", "protocol": "1.1.0", "robot": name,
        "observationSpace": {"low": [None, -8], "high": [None, 8]}, "actionSpace": {"low": [-2], "high": [2]},
        "controlPeriod": 0.05, "scalar": "float64", "agent": agent}).encode(), timeout_ms=10000))
    refused.close()
    assert reply["kind"] == "error" and reply["code"] == "agentRejected", reply
    assert files[0] in reply["message"] and "checksum" in reply["message"] and "delete that file" in reply["message"], reply
    assert (directory / files[0]).read_bytes() == bytes(damaged)
