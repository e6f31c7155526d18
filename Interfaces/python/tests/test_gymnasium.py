"""The real Gymnasium Pendulum-v1 driven over ZeroMQ by a remote agent (the bridge's classical
reference controller), compared with the same controller run in-process on the same seeds."""
import math

import gymnasium as gym
import numpy as np
import pytest

from pckit_client.gym_adapter import evaluate, remote_agent_for, run_episode, summary


def swing_up_lqr(observation, energy_gain=0.3):
    """TASKS.md §1: energy swing-up, LQR (K = [19.6932, 5.2625]) when |θ| < 0.6 and |θ̇| < 4."""
    c, s, velocity = (float(x) for x in observation)
    theta = math.atan2(s, c)
    if abs(theta) < 0.6 and abs(velocity) < 4:
        u = -(19.6932 * theta + 5.2625 * velocity)
    else:
        u = (15.0 - (0.5 * velocity * velocity + 15.0 * math.cos(theta))) * velocity * energy_gain
    return min(max(u, -2.0), 2.0)


def local_return(env, seed):
    observation, _ = env.reset(seed=seed)
    total = 0.0
    while True:
        action = np.array([swing_up_lqr(observation)], dtype=np.float32)
        observation, reward, terminated, truncated, _ = env.step(action)
        total += float(reward)
        if terminated or truncated:
            return total


def test_pendulum_v1_remote_matches_in_process(start_server):
    _, endpoint = start_server()
    env = gym.make("Pendulum-v1")
    seeds = range(20)
    agent = remote_agent_for(env, endpoint, {"type": "pendulumSwingUp", "energyGain": 0.3}, scalar="float64")
    remote = evaluate(env, agent, seeds)
    local = [local_return(env, s) for s in seeds]
    agent.close()
    env.close()
    for s, r, l in zip(seeds, remote, local):
        assert r == pytest.approx(l, rel=0.01), f"seed {s}: remote {r}, in-process {l}"
    stats = summary(remote)
    # The controller swings up and balances: about −143 on 100 seeds (TASKS.md); zero torque is ≈ −1180.
    assert stats["n"] == 20 and stats["mean"] > -250, stats
    assert agent.retried == 0


def test_run_episode_counts_steps(start_server):
    _, endpoint = start_server()
    env = gym.make("Pendulum-v1")
    with remote_agent_for(env, endpoint, {"type": "linear", "gain": [[0.0, 0.0, 0.0]], "bias": [0.0]}) as agent:
        # Zero torque: the return equals the in-process zero-torque return exactly.
        remote = run_episode(env, agent, seed=3)
        observation, _ = env.reset(seed=3)
        local = 0.0
        for _ in range(200):
            observation, reward, *_ = env.step(np.zeros(1, dtype=np.float32))
            local += float(reward)
        assert remote == pytest.approx(local, rel=1e-9)
        assert agent.last_frame.sequence == 200
    env.close()
