"""Drive any Gymnasium environment with a PCKit agent served over ZeroMQ."""
from __future__ import annotations

from typing import Iterable, List, Optional

import numpy as np

from .remote_agent import RemoteAgent


def remote_agent_for(env, endpoint: str, config: Optional[dict] = None, **options) -> RemoteAgent:
    """A :class:`RemoteAgent` whose spaces and control period come from a Gymnasium ``env``
    (Box observation and action spaces)."""
    period = float(getattr(env.unwrapped, "dt", 0.05) or 0.05)
    options.setdefault("robot", f"gymnasium:{env.spec.id if env.spec else type(env).__name__}")
    return RemoteAgent(endpoint, env.observation_space, env.action_space, config, control_period=period, **options)


def run_episode(env, agent: RemoteAgent, seed: Optional[int] = None, max_steps: Optional[int] = None) -> float:
    """Runs one episode; returns the undiscounted return. The agent is reset with the same seed."""
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
    """Mean, population sd, median, worst and n (TASKS.md's reporting convention)."""
    r = np.asarray(returns, dtype=float)
    return {"mean": float(r.mean()), "sd": float(r.std()), "median": float(np.median(r)),
            "worst": float(r.min()), "n": int(r.size)}
