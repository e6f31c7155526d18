"""The real Gymnasium Pendulum-v1 driven over ZeroMQ by a remote agent (the bridge's classical
reference controller), compared with the same controller run in-process on the same seeds."""
import math

import gymnasium as gym
import numpy as np
import pytest

from pckit_client.gym_adapter import evaluate, remote_agent_for, run_episode, summary


def swing_up_lqr(observation, energy_gain=0.3):
    """PCSims article Tasks, section Pendulum: energy swing-up, LQR (K = [19.6932, 5.2625]) when |θ| < 0.6 and |θ̇| < 4."""
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
    # The controller swings up and balances: about −143 on 100 seeds (PCSims article Tasks, section Pendulum); zero torque is ≈ −1180.
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


# -- bring-your-own-robot: spaces and control period -------------------------------------------

from pckit_client.gym_adapter import DiscretizedActions  # noqa: E402


class NoDtRobot(gym.Env):
    """A tiny environment with Box spaces and no ``dt``: x' = x + u, reward −x²."""

    def __init__(self, action_space=None, observation_space=None):
        self.observation_space = observation_space or gym.spaces.Box(-10.0, 10.0, shape=(1,), dtype=np.float64)
        self.action_space = action_space or gym.spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float64)
        self.x = 0.0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.x = float(self.np_random.uniform(-5, 5))
        return np.array([self.x]), {}

    def step(self, action):
        self.x = float(np.clip(self.x + float(np.asarray(action).reshape(-1)[0]), -10, 10))
        return np.array([self.x]), -self.x * self.x, False, False, {}


def test_environment_without_dt_needs_the_control_period(start_server):
    env = NoDtRobot()
    with pytest.raises(ValueError, match="control_period="):
        remote_agent_for(env, "ipc:///nonexistent")
    _, endpoint = start_server()
    # u = −x, clipped to [−1, 1]: drives x to 0.
    with remote_agent_for(env, endpoint, {"type": "linear", "gain": [[1.0]], "bias": [0.0]},
                          control_period=0.1, scalar="float64") as agent:
        assert agent.hello_message["controlPeriod"] == 0.1
        total = run_episode(env, agent, seed=1, max_steps=20)
        assert abs(env.x) < 1e-9 and total > -60


def test_discrete_actions_are_refused_with_the_wrapper_named():
    env = gym.make("CartPole-v1")
    with pytest.raises(ValueError, match="DiscretizedActions"):
        remote_agent_for(env, "ipc:///nonexistent", control_period=0.02)
    env.close()


@pytest.mark.parametrize("action_space, observation_space, named", [
    (gym.spaces.MultiDiscrete([3, 3]), None, "MultiDiscrete"),
    (gym.spaces.Tuple((gym.spaces.Box(-1, 1),)), None, "Tuple"),
    (gym.spaces.MultiBinary(2), None, "MultiBinary"),
    (None, gym.spaces.Dict({"x": gym.spaces.Box(-1, 1)}), "FlattenObservation"),
    (None, gym.spaces.Discrete(4), "FlattenObservation"),
])
def test_other_spaces_are_refused_naming_the_space_and_what_works(action_space, observation_space, named):
    env = NoDtRobot(action_space, observation_space)
    with pytest.raises(ValueError, match=named):
        remote_agent_for(env, "ipc:///nonexistent", control_period=0.1)


def test_discretized_actions_pick_the_nearest_index():
    env = DiscretizedActions(gym.make("CartPole-v1"))
    assert env.action_space == gym.spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
    assert [env.action(np.array([a])) for a in (-1.0, -0.01, 0.0, 0.3, 1.0, 7.0)] == [0, 0, 1, 1, 1, 1]
    three = DiscretizedActions(NoDtRobot(action_space=gym.spaces.Discrete(3, start=-1)))
    # Points −1, 0, 1 map to indices −1, 0, 1; −0.5 is a tie and goes up.
    assert [three.action([a]) for a in (-2.0, -0.6, -0.5, 0.49, 0.5, 1.0)] == [-1, -1, 0, 0, 1, 1]
    assert DiscretizedActions(NoDtRobot(action_space=gym.spaces.Discrete(1, start=4))).action([0.9]) == 4
    with pytest.raises(ValueError, match="Discrete"):
        DiscretizedActions(NoDtRobot())
    env.close()


def test_cartpole_balances_through_discretized_actions(start_server):
    _, endpoint = start_server()
    env = DiscretizedActions(gym.make("CartPole-v1"))
    # u = 10·θ + 10·θ̇ (clipped to [−1, 1]): push the cart under the falling pole.
    config = {"type": "linear", "gain": [[0.0, 0.0, -10.0, -10.0]], "bias": [0.0]}
    with remote_agent_for(env, endpoint, config, control_period=env.unwrapped.tau) as agent:
        returns = evaluate(env, agent, range(1, 4))
    env.close()
    # Always pushing one way ends an episode in about 10 steps; this policy keeps the pole up.
    assert min(returns) >= 200, returns
