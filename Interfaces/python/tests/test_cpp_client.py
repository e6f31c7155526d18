"""The C++ bridge client (Interfaces/cpp/pckit_client.hpp) against a real ``pcctl serve`` on a free
TCP port: it drives the pendulum to the same returns as the Python client on the same episodes
(same float64 physics, Gymnasium's initial states, one session, reset(seed) per episode), and both
equal ``pcctl run pendulum``'s in-process returns to 1e-9 — when no step ran into the server's
compute deadline (the served planner then acts on its best plan so far, which the in-process run
never does). The server is the release pcctl when make test provides it ($PCKIT_TIMING_PCCTL), with
the largest compute deadline the control period allows; if a loaded machine still makes a step
late, the returns must agree to 1% (as the Python end-to-end test asks) and the test says so.

The C++ program is built by ``make abi-test`` (.build/abi/pckit_client_pendulum, or $PCKIT_CPP_CLIENT)."""
import json
import math
import os
import pathlib
import socket
import subprocess

import gymnasium as gym

from conftest import ROOT, pcctl_path
from pckit_client import RemoteAgent

EPISODES = 2
AGENT = {"agent": "predictiveController", "task": "pendulum"}


def free_tcp_endpoint() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{s.getsockname()[1]}"


def cpp_client() -> str:
    path = os.environ.get("PCKIT_CPP_CLIENT") or str(ROOT / ".build" / "abi" / "pckit_client_pendulum")
    assert pathlib.Path(path).is_file(), f"{path} missing: run `make abi-test` (it builds the C++ client programs)"
    return path


def pendulum_step(angle, velocity, torque):
    """Pendulum-v1 in float64, as Tests/c/pendulum.h and PCKit's Sims/Pendulum."""
    u = min(max(torque, -2.0), 2.0)
    wrapped = math.fmod(angle + math.pi, 2 * math.pi)
    if wrapped < 0:
        wrapped += 2 * math.pi
    theta = wrapped - math.pi
    cost = theta * theta + 0.1 * (velocity * velocity) + 0.001 * (u * u)
    velocity = min(max(velocity + (3 * 10.0 / (2 * 1.0) * math.sin(angle) + 3.0 / (1.0 * 1.0 * 1.0) * u) * 0.05, -8.0), 8.0)
    return angle + velocity * 0.05, velocity, -cost


def python_client_returns(endpoint):
    """(returns, steps cut short by the compute deadline)."""
    env = gym.make("Pendulum-v1")
    returns, late = [], 0
    with RemoteAgent(endpoint, ([-1, -1, -8], [1, 1, 8]), ([-2], [2]), AGENT, scalar="float64", timeout=5.0) as agent:
        for seed in range(EPISODES):
            env.reset(seed=seed)
            angle, velocity = (float(x) for x in env.unwrapped.state)
            agent.reset(seed)
            total = 0.0
            for _ in range(200):
                action = agent.step([math.cos(angle), math.sin(angle), velocity])
                late += agent.deadline_exceeded
                angle, velocity, reward = pendulum_step(angle, velocity, float(action[0]))
                total += reward
            returns.append(total)
    env.close()
    return returns, late


def test_cpp_client_drives_the_served_pendulum_to_the_python_clients_returns(start_server, monkeypatch):
    release = os.environ.get("PCKIT_TIMING_PCCTL")
    if release and pathlib.Path(release).is_file():
        monkeypatch.setenv("PCCTL", release)  # start_server runs $PCCTL
    endpoint = free_tcp_endpoint()
    start_server("--compute-fraction", "1", endpoint=endpoint)
    fixture = ROOT / "Sims" / "Fixtures" / "GymnasiumInitialStates.swift"
    result = subprocess.run([cpp_client(), endpoint, str(fixture), str(EPISODES)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    cpp = json.loads(result.stdout)
    python, python_late = python_client_returns(endpoint)
    local = subprocess.run([pcctl_path(), "run", "pendulum", "--episodes", str(EPISODES), "--json"],
                           capture_output=True, text=True, timeout=300)
    in_process = json.loads(local.stdout)["returns"]
    late = cpp["deadlineExceeded"] + python_late
    print(f"\nC++ client {cpp['returns']} ({cpp['deadlineExceeded']} late steps, {cpp['stale']} stale)"
          f"\nPython     {python} ({python_late} late steps)\npcctl run  {in_process}")
    assert len(cpp["returns"]) == len(python) == EPISODES
    tolerance = (lambda a, b: abs(a - b) <= 1e-9) if late == 0 else (lambda a, b: abs(a - b) <= 0.01 * abs(b) + 1e-9)
    if late:
        print(f"{late} steps ran into the compute deadline on this machine: compared to 1%, not 1e-9")
    assert all(tolerance(a, b) for a, b in zip(cpp["returns"], python)), (cpp, python)
    assert all(tolerance(a, b) for a, b in zip(cpp["returns"], in_process)), (cpp, in_process)
    assert cpp["retried"] == 0 and cpp["session"] > 0
    # validUntil is read on the robot's clock: a fresh local action is valid when it arrives.
    assert cpp["stale"] <= EPISODES * 200 // 10, cpp


def test_cpp_client_reports_a_lost_server():
    """No server at the endpoint: the client retries on fresh sockets, then fails naming the endpoint."""
    endpoint = free_tcp_endpoint()
    fixture = ROOT / "Sims" / "Fixtures" / "GymnasiumInitialStates.swift"
    result = subprocess.run([cpp_client(), endpoint, str(fixture), "1"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert f"no reply to hello from {endpoint} after 4 attempts" in result.stderr, result.stderr
