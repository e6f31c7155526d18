"""Bring your own robot over the bridge: Gymnasium's own Pendulum-v1 with m = 1.3, l = 1.2 (dynamics
PCKit was never told), observed as (θ, θ̇), gets a learning agent from ``pcctl serve``
(`Examples/configs/pendulum-learning.json`). The robot drives the interaction itself — 5,000 steps
from its own starts — then is scored on Gymnasium's seeds 0..9, and must score within 2% of the
same agent in process (`pcctl run pendulum --agent <config> --param mass=1.3 --param length=1.2`,
which interacts from PCKit's starts and is scored frozen) and swing up every episode."""
import json
import os
import subprocess

import gymnasium as gym
import numpy as np

from conftest import ROOT, pcctl_path, unique_ipc
from pckit_client import RemoteAgent

CONFIG = ROOT / "Examples" / "configs" / "pendulum-learning.json"
BUDGET = 5_000
SEEDS = range(10)
# The learning agent's step is heavy in a debug build: serve from the release build when make test
# built it.
PCCTL = os.environ.get("PCKIT_TIMING_PCCTL") or pcctl_path()


def state(env) -> np.ndarray:
    theta, theta_dot = env.unwrapped.state
    return np.array([theta, theta_dot], dtype=np.float64)


def test_learning_agent_over_zeromq_learns_an_unknown_pendulum_like_in_process():
    endpoint = unique_ipc("learn")
    server = subprocess.Popen([PCCTL, "serve", "--bind", endpoint], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        assert server.stdout.readline().strip(), server.stderr.read()
        env = gym.make("Pendulum-v1")
        env.unwrapped.m, env.unwrapped.l = 1.3, 1.2
        config = json.loads(CONFIG.read_text())
        period = config["learning"]["controlPeriod"]
        agent = RemoteAgent(endpoint, ([-np.inf, -8.0], [np.inf, 8.0]), ([-2.0], [2.0]), config,
                            robot="unknown-pendulum", control_period=period, scalar="float64", timeout=10.0)
        with agent:
            steps, episode = 0, 0
            while steps < BUDGET:                        # interaction on the robot's own starts
                env.reset(seed=1000 + episode)
                agent.reset(1000 + episode)
                for _ in range(200):
                    action = agent.step(state(env))
                    env.step(action.astype(np.float32))
                    steps += 1
                    if steps == BUDGET:
                        break
                episode += 1
            remote, upright = [], 0
            for seed in SEEDS:                           # scored on Gymnasium's seeds
                env.reset(seed=seed)
                agent.reset(seed)
                total, last = 0.0, []
                for t in range(200):
                    action = agent.step(state(env))
                    _, reward, *_ = env.step(action.astype(np.float32))
                    total += float(reward)
                    last.append(abs((env.unwrapped.state[0] + np.pi) % (2 * np.pi) - np.pi))
                remote.append(total)
                upright += all(a < 0.1 for a in last[-50:])
        env.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    result = subprocess.run([PCCTL, "run", "pendulum", "--agent", str(CONFIG), "--param", "mass=1.3",
                             "--param", "length=1.2", "--learning-steps", str(BUDGET), "--episodes", str(len(SEEDS)),
                             "--no-reference", "--json"], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    local = json.loads(result.stdout)["returns"]
    remote_mean, local_mean = float(np.mean(remote)), float(np.mean(local))
    print(f"\nlearned Pendulum-v1 m=1.3 l=1.2 seeds 0..9 over ZeroMQ: mean {remote_mean:.2f} ({upright}/10 upright); "
          f"in process {local_mean:.2f}; per seed {[round(r, 1) for r in remote]} / {[round(r, 1) for r in local]}")
    assert upright == len(SEEDS), remote
    assert abs(remote_mean - local_mean) <= 0.02 * abs(local_mean), (remote, local)

