"""pckit_client.live_view for real: `pcctl serve --telemetry` hosts the predictive controller, a
Gymnasium pendulum drives it through RemoteAgent, the live view (a separate process, as a user runs
it) writes what it received to a .rrd file, and rerun's own reader (rerun.chunk.RrdReader) reads
the file back. Oracle: the actions and free energies the robot received in its action frames, and
the observations it sent."""
import os
import queue
import signal
import subprocess
import sys
import threading
import time

import gymnasium as gym
import numpy as np
import pytest
import zmq
from rerun.chunk import RrdReader

from conftest import ROOT, unique_ipc
from pckit_client import wire
from pckit_client.gym_adapter import remote_agent_for

AGENT = {"agent": "predictiveController", "task": "pendulum"}
STEPS = 120


class LiveView:
    """`python -m pckit_client.live_view …` as a child process; its output lines arrive on a queue."""

    def __init__(self, *args):
        env = dict(os.environ, PYTHONPATH=str(ROOT / "Interfaces" / "python"))
        self.proc = subprocess.Popen([sys.executable, "-m", "pckit_client.live_view", *args], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: "queue.Queue[str]" = queue.Queue()
        self.reader = threading.Thread(target=lambda: [self.lines.put(l.strip()) for l in self.proc.stdout], daemon=True)
        self.reader.start()

    def line(self, timeout: float) -> str:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"live view printed nothing for {timeout} s; stderr so far: "
                                 f"{self.stop()[1] if self.proc.poll() is None else self.proc.stderr.read()}")

    def stop(self):
        """SIGINT (what Ctrl-C sends), then (returncode, stderr, remaining stdout lines)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=5)
        rest = []
        while not self.lines.empty():
            rest.append(self.lines.get())
        return self.proc.returncode, self.proc.stderr.read(), rest


def rows(path, entity, column):
    """{step: value} of one entity's component column, read with rerun's own .rrd reader."""
    out = {}
    for chunk in RrdReader(path).stream().to_chunks():
        if chunk.entity_path != entity or chunk.is_static:
            continue
        batch = chunk.to_record_batch()
        for step, value in zip(batch.column("step").to_pylist(), batch.column(column).to_pylist()):
            assert step not in out, f"{entity} has two rows at step {step}"
            out[step] = value
    return out


def series(path, entity):
    """{step: values} of one entity's Scalars."""
    return rows(path, entity, "Scalars:scalars")


def test_live_view_logs_what_the_robot_received(start_server, tmp_path):
    server, endpoint = start_server("--telemetry", unique_ipc("tel"), lines=2)
    rrd = tmp_path / "session.rrd"
    view = LiveView("--telemetry", server.value("telemetry"), "--save", str(rrd), "--seconds", "25")
    assert view.line(timeout=15).startswith("subscribed to "), "the live view did not subscribe"

    env = gym.make("Pendulum-v1")
    observation, _ = env.reset(seed=1)
    received = {}  # sequence -> (observation sent, action received, free energy received)
    with remote_agent_for(env, endpoint, AGENT, scalar="float64", timeout=5.0) as agent:
        # SUB joins asynchronously: step until the live view reports its first record.
        first = None
        for _ in range(400):
            sent = np.asarray(observation, dtype=np.float64)
            action = agent.step(observation)
            received[agent.last_frame.sequence] = (sent, action.copy(), agent.last_frame.free_energy)
            observation, *_ = env.step(action.astype(np.float32))
            try:
                first = view.lines.get(timeout=0.01)
                break
            except queue.Empty:
                pass
        assert first is not None and first.startswith("first record: session "), first
        session, first_sequence = (int(w) for w in first.split()[3::2])
        assert session == agent.session
        for _ in range(STEPS):
            sent = np.asarray(observation, dtype=np.float64)
            action = agent.step(observation)
            received[agent.last_frame.sequence] = (sent, action.copy(), agent.last_frame.free_energy)
            observation, *_ = env.step(action.astype(np.float32))
    env.close()
    time.sleep(0.5)  # the last records are in flight on the PUB socket
    returncode, stderr, rest = view.stop()
    assert returncode == 0, stderr
    expected = {s: v for s, v in received.items() if s >= first_sequence}
    assert rest[-1] == f"logged {len(expected)} records from 1 session(s), refused 0", (rest, stderr)

    base = f"/session/{session}"
    free_energy, action, observation = (series(rrd, f"{base}/{name}") for name in ("free_energy", "action", "observation"))
    assert sorted(action) == sorted(free_energy) == sorted(observation) == sorted(expected)
    assert len(expected) >= STEPS
    for sequence, (sent, got, energy) in expected.items():
        assert np.isfinite(energy) and energy >= 0, (sequence, energy)  # the controller reports its free energy
        assert free_energy[sequence] == [energy], sequence
        assert action[sequence] == got.tolist(), sequence
        assert observation[sequence] == sent.tolist(), sequence
    # It swung the pendulum: the actions are not all one value.
    assert len({tuple(v) for v in action.values()}) > 10


def test_live_view_refuses_broken_messages_and_names_the_rule(tmp_path):
    """A publisher that breaks the telemetry format: each broken message is reported on stderr with
    the rule it broke, counted, and left out of the recording; the valid ones are logged."""
    endpoint = unique_ipc("badtel")
    publisher = zmq.Context.instance().socket(zmq.PUB)
    publisher.setsockopt(zmq.LINGER, 0)
    publisher.bind(endpoint)
    rrd = tmp_path / "broken.rrd"
    view = LiveView("--telemetry", endpoint, "--save", str(rrd), "--seconds", "20")
    assert view.line(timeout=15).startswith("subscribed to ")

    def message(sequence, *, action_session=7, kind="telemetry"):
        return [wire.encode_frame(kind, 7, sequence, [0.5, -0.25], float64=True, iterations=3, free_energy=1.5 * sequence),
                wire.encode_frame("action", action_session, sequence, [0.125], float64=True),
                wire.encode_frame("telemetry", 7, sequence, [], float64=True)]

    sequence = 0
    first = None
    while first is None and sequence < 500:  # until the subscription has joined
        sequence += 1
        publisher.send_multipart(message(sequence))
        try:
            first = view.lines.get(timeout=0.02)
        except queue.Empty:
            pass
    assert first is not None and first.startswith("first record: session 7 sequence "), first
    joined = int(first.split()[-1])
    publisher.send_multipart(message(1000)[:2])
    publisher.send_multipart([b"XXXX" + message(1001)[0][4:], *message(1001)[1:]])
    publisher.send_multipart(message(1002, action_session=8))
    publisher.send_multipart(message(1003, kind="step"))
    publisher.send_multipart(message(2 ** 63))
    publisher.send_multipart(message(1004))
    time.sleep(0.5)
    returncode, stderr, rest = view.stop()
    publisher.close(linger=0)
    assert returncode == 0, stderr
    logged = sequence - joined + 1 + 1
    assert rest[-1] == f"logged {logged} records from 1 session(s), refused 5", (rest, stderr)
    assert "has 2 parts, expected 3 (observation, action, beliefs frames)" in stderr, stderr
    assert "badMagic" in stderr, stderr
    assert "frames disagree on (session, sequence): observation (7, 1002), action (8, 1002)" in stderr, stderr
    assert "the first frame is a step frame, expected a telemetry frame" in stderr, stderr
    assert f"sequence {2 ** 63} exceeds {2 ** 63 - 1} (2^63 − 1), the largest step rerun's timeline holds" in stderr, stderr
    free_energy = series(rrd, "/session/7/free_energy")
    assert free_energy == {s: [1.5 * s] for s in [*range(joined, sequence + 1), 1004]}
    assert series(rrd, "/session/7/iterations")[1004] == [3.0]


def test_live_view_says_what_to_give_when_it_has_nowhere_to_show(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pckit_client.live_view", "--telemetry", "tcp://127.0.0.1:5556"],
                            capture_output=True, text=True, timeout=30,
                            env=dict(os.environ, PYTHONPATH=str(ROOT / "Interfaces" / "python")))
    assert result.returncode == 2
    assert "give --web-port N (live, in a browser) and/or --save FILE.rrd" in result.stderr, result.stderr
    result = subprocess.run([sys.executable, "-m", "pckit_client.live_view", "--telemetry", "nonsense", "--save",
                             str(tmp_path / "x.rrd"), "--seconds", "1"], capture_output=True, text=True, timeout=30,
                            env=dict(os.environ, PYTHONPATH=str(ROOT / "Interfaces" / "python")))
    assert result.returncode == 2
    assert "cannot subscribe to telemetry endpoint 'nonsense'" in result.stderr, result.stderr
    assert not (tmp_path / "x.rrd").exists()


def test_live_view_pendulum_example_shows_two_robots(start_server, tmp_path):
    """Examples/python/live_view_pendulum.py (as fast as the agent answers): its two robots are two
    sessions in the recording, each with every step it took."""
    server, endpoint = start_server("--telemetry", unique_ipc("tel"), lines=2)
    rrd = tmp_path / "two.rrd"
    view = LiveView("--telemetry", server.value("telemetry"), "--save", str(rrd), "--seconds", "25")
    assert view.line(timeout=15).startswith("subscribed to ")
    time.sleep(1.0)  # let the subscription join before the robots start (no warm-up steps here)
    example = subprocess.run([sys.executable, str(ROOT / "Examples" / "python" / "live_view_pendulum.py"),
                              "--endpoint", endpoint, "--seconds", "2", "--speed", "0"], capture_output=True, text=True,
                             timeout=60, env=dict(os.environ, PYTHONPATH=str(ROOT / "Interfaces" / "python")))
    assert example.returncode == 0, example.stderr
    time.sleep(0.5)
    returncode, stderr, rest = view.stop()
    assert returncode == 0, stderr
    sessions = [int(line.split()[1]) for line in example.stdout.splitlines()]
    assert len(sessions) == 2 and all(line.endswith("over 40 steps") for line in example.stdout.splitlines()), example.stdout
    assert rest[-1] == "logged 80 records from 2 session(s), refused 0", (rest, stderr)
    for session in sessions:
        assert sorted(series(rrd, f"/session/{session}/action")) == list(range(1, 41))


def bars(path, entity):
    """{step: values} of one entity's BarChart (a 1-D tensor)."""
    out = {}
    for step, (tensor,) in rows(path, entity, "BarChart:values").items():
        assert len(tensor["shape"]) == 1 and tensor["shape"][0] == len(tensor["buffer"])
        out[step] = tensor["buffer"]
    return out


def drive_until_logged(view, step, limit=400):
    """Steps the robot until the live view reports its first record; returns (session, sequence)."""
    for _ in range(limit):
        step()
        try:
            first = view.lines.get(timeout=0.01)
        except queue.Empty:
            continue
        assert first.startswith("first record: session "), first
        return tuple(int(w) for w in first.split()[3::2])
    raise AssertionError("the live view logged nothing")


def test_live_view_draws_the_plan_and_the_learning_agents_prediction_error(start_server, tmp_path):
    """The telemetry layout splits the beliefs frame: the pendulum planner's plan is logged as bar
    charts over the horizon whose first control is the action the robot received (unclipped: the
    planner keeps its controls in the action bounds) and whose first state is the perceived state
    (θ, θ̇) decoded from the observation sent, and a learning agent's phase, model version and
    prediction error are logged per step, its phase switching once after its exploration steps."""
    server, endpoint = start_server("--telemetry", unique_ipc("tel"), lines=2)
    rrd = tmp_path / "plan.rrd"
    view = LiveView("--telemetry", server.value("telemetry"), "--save", str(rrd), "--seconds", "40")
    assert view.line(timeout=15).startswith("subscribed to ")

    env = gym.make("Pendulum-v1")
    observation, _ = env.reset(seed=3)
    actions, observations = {}, {}
    with remote_agent_for(env, endpoint, AGENT, scalar="float64", timeout=5.0) as planner:
        def pendulum_step():
            nonlocal observation
            sent = np.asarray(observation, dtype=np.float64)
            action = planner.step(observation)
            actions[planner.last_frame.sequence] = action.copy()
            observations[planner.last_frame.sequence] = sent
            observation, *_ = env.step(action.astype(np.float32))
        planner_session, first = drive_until_logged(view, pendulum_step)
        for _ in range(60):
            pendulum_step()
    env.close()

    exploration = 100  # more than the first batch needs (64 training transitions), so the switch is at this step
    position = np.zeros(2)
    goal = {"agent": "learning", "goal": {"target": [0.5, 0], "precision": [10, 0.1], "explorationSteps": exploration}}
    from pckit_client import RemoteAgent
    learner = RemoteAgent(endpoint, ([-5, -5], [5, 5]), ([-4], [4]), goal, scalar="float64", timeout=5.0)
    steps_taken = {}
    try:
        def spring_step():
            force = float(learner.step(position)[0])
            steps_taken[learner.last_frame.sequence] = len(steps_taken) + 1
            position[1] += 0.05 * (force - 4 * position[0] - 0.5 * position[1])
            position[0] += 0.05 * position[1]
        for _ in range(exploration + 60):
            spring_step()
        learner_session = learner.session
    finally:
        learner.close()
    time.sleep(0.5)
    returncode, stderr, rest = view.stop()
    assert returncode == 0, stderr
    assert rest[-1].endswith("refused 0"), (rest, stderr)

    # The plan: the control over H steps, its first value the action received; the two states
    # (θ, θ̇) over H + 1 steps, starting at the perceived state.
    base = f"/session/{planner_session}/plan"
    controls, theta, theta_dot = (bars(rrd, f"{base}/{name}") for name in ("controls/u0", "states/x0", "states/x1"))
    expected = sorted(s for s in actions if s >= first)
    assert sorted(controls) == sorted(theta) == sorted(theta_dot) == expected, (sorted(controls)[:5], expected[:5])
    for sequence in expected:
        horizon = len(controls[sequence])
        assert horizon > 1 and len(theta[sequence]) == len(theta_dot[sequence]) == horizon + 1
        assert controls[sequence][0] == actions[sequence][0], (sequence, controls[sequence][0], actions[sequence])
        y = observations[sequence]
        assert [theta[sequence][0], theta_dot[sequence][0]] == pytest.approx([np.arctan2(y[1], y[0]), y[2]], abs=1e-12)

    # The learning agent: per step its phase (0 exploring, 1 controlling), model version and
    # prediction error (two coordinates), split out of the beliefs frame by the layout.
    base = f"/session/{learner_session}/beliefs"
    phase, version, error = (series(rrd, f"{base}/{name}") for name in ("phase", "modelVersion", "predictionError"))
    assert sorted(phase) == sorted(version) == sorted(error) and len(phase) >= 60
    exploring = [steps_taken[s] for s in phase if phase[s] == [0.0]]
    controlling = [steps_taken[s] for s in phase if phase[s] == [1.0]]
    assert exploring and controlling and max(exploring) < min(controlling), (exploring[-3:], controlling[:3])
    assert exploration <= min(controlling) <= exploration + 1, (max(exploring), min(controlling), sorted(steps_taken[s] for s in phase)[:5], len(phase))
    assert all(len(v) == 2 for v in error.values())
    late = [error[s] for s in phase if steps_taken[s] > exploration + 40]
    assert late and all(np.isfinite(v).all() and min(v) >= 0 for v in late), late[:3]
    assert all(version[s] == [0.0] for s in phase if phase[s] == [0.0])
