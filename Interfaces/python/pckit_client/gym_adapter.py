"""Drive any Gymnasium environment with a PCKit agent served over ZeroMQ.

What works as is: a ``Box`` observation space and a ``Box`` action space (any shape; values are sent
flattened, at most 4096 of each). A ``Discrete(n)`` action space is wrapped with
:class:`DiscretizedActions`, which shows the agent a 1-D box ``[-1, 1]`` and maps its action to the
nearest of ``n`` evenly spaced indices. A non-box observation space (Discrete, Dict, Tuple…) can be
flattened with ``gymnasium.wrappers.FlattenObservation``. Everything else is refused with a
``ValueError`` that says so before any message is sent.

The control period (seconds between ``env.step`` calls) comes from ``env.unwrapped.dt`` when the
environment has one; otherwise it must be passed as ``control_period=`` — it is never guessed.
"""
from __future__ import annotations

import math
from typing import Iterable, List, Optional

import gymnasium as gym
import numpy as np

from .remote_agent import RemoteAgent


class DiscretizedActions(gym.ActionWrapper):
    """Shows a ``Discrete(n, start=s)`` action space to a PCKit agent as ``Box(-1, 1, (1,))``.

    The agent's action ``a`` (clipped into [-1, 1]) selects the nearest of ``n`` evenly spaced points
    ``-1 + 2i/(n-1)``: index ``s + floor((a + 1)(n - 1)/2 + 1/2)``, ties going to the higher index.
    For ``n = 2`` (e.g. CartPole-v1): ``a < 0`` → ``s``, ``a ≥ 0`` → ``s + 1``. For ``n = 1`` every
    action is ``s``.

    >>> env = DiscretizedActions(gymnasium.make("CartPole-v1"))
    """

    def __init__(self, env: gym.Env):
        if not isinstance(env.action_space, gym.spaces.Discrete):
            raise ValueError(f"DiscretizedActions wraps a Discrete action space, not {env.action_space!r}")
        super().__init__(env)
        self.n = int(env.action_space.n)
        self.start = int(env.action_space.start)
        self.action_space = gym.spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)

    def action(self, action) -> int:
        a = float(np.clip(np.asarray(action, dtype=np.float64).reshape(-1)[0], -1.0, 1.0))
        if self.n == 1:
            return self.start
        return self.start + min(self.n - 1, int(math.floor((a + 1.0) * (self.n - 1) / 2.0 + 0.5)))


def _check_spaces(env) -> None:
    observation, action = env.observation_space, env.action_space
    if isinstance(action, gym.spaces.Discrete):
        raise ValueError(f"action space {action!r} is Discrete: wrap the environment with "
                         f"pckit_client.gym_adapter.DiscretizedActions(env), which shows the agent a Box(-1, 1, (1,)) "
                         f"and maps its action to the nearest index")
    if not isinstance(action, gym.spaces.Box):
        raise ValueError(f"action space {action!r} is not supported: PCKit agents act in a Box; a Discrete "
                         f"space works through DiscretizedActions (MultiDiscrete, MultiBinary, Dict, Tuple… do not)")
    if not isinstance(observation, gym.spaces.Box):
        raise ValueError(f"observation space {observation!r} is not supported: PCKit agents observe a Box; "
                         f"wrap the environment with gymnasium.wrappers.FlattenObservation to make it one")


def remote_agent_for(env, endpoint: str, config: Optional[dict] = None, *,
                     control_period: Optional[float] = None, **options) -> RemoteAgent:
    """A :class:`RemoteAgent` whose spaces and control period come from a Gymnasium ``env``.

    ``control_period`` (seconds between steps) defaults to ``env.unwrapped.dt``; an environment without
    a positive ``dt`` needs it given explicitly (ValueError otherwise). Other ``options`` go to
    :class:`RemoteAgent` (e.g. ``scalar``, ``timeout``, ``action_validity``).
    """
    _check_spaces(env)
    if control_period is None:
        dt = getattr(env.unwrapped, "dt", None)
        if dt is None or not (isinstance(dt, (int, float)) and math.isfinite(dt) and dt > 0):
            name = env.spec.id if env.spec else type(env.unwrapped).__name__
            raise ValueError(f"{name} has no positive env.unwrapped.dt, so the control period is unknown: pass "
                             f"control_period=<seconds between env.step calls> to remote_agent_for")
        control_period = float(dt)
    options.setdefault("robot", f"gymnasium:{env.spec.id if env.spec else type(env).__name__}")
    return RemoteAgent(endpoint, env.observation_space, env.action_space, config,
                       control_period=float(control_period), **options)


def run_episode(env, agent: RemoteAgent, seed: Optional[int] = None, max_steps: Optional[int] = None) -> float:
    """Runs one episode; returns the undiscounted return. The agent is reset with the same seed
    (0 when ``seed`` is None)."""
    observation, _ = env.reset(seed=seed)
    agent.reset(seed if seed is not None else 0)
    total, steps = 0.0, 0
    while True:
        action = agent.step(observation)
        observation, reward, terminated, truncated, _ = env.step(action.astype(env.action_space.dtype))
        total += float(reward)
        steps += 1
        if terminated or truncated or (max_steps is not None and steps >= max_steps):
            return total


def evaluate(env, agent: RemoteAgent, seeds: Iterable[int]) -> List[float]:
    """Returns per seed, in order."""
    return [run_episode(env, agent, seed=s) for s in seeds]


def summary(returns: List[float]) -> dict:
    """Mean, population standard deviation (divided by n, as ``pcctl run --json`` reports it), median,
    worst and n."""
    r = np.asarray(returns, dtype=float)
    return {"mean": float(r.mean()), "sd": float(r.std()), "median": float(np.median(r)),
            "worst": float(r.min()), "n": int(r.size)}
