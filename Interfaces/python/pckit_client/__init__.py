"""pckit_client: connect a robot, or any Gymnasium environment, to PCKit agents over ZeroMQ.

Ten lines::

    import numpy as np
    from pckit_client import RemoteAgent

    agent = RemoteAgent("tcp://127.0.0.1:5555",
                        observation_space=([-1, -1, -8], [1, 1, 8]), action_space=([-2], [2]),
                        config={"type": "pendulumSwingUp"})
    observation = np.array([1.0, 0.0, 0.0])
    for _ in range(200):
        action = agent.step(observation)      # send the sensors, get the torque
        observation = robot_apply(action)     # your robot
    agent.close()
"""
from .errors import RemoteError, ServerLost
from .remote_agent import RemoteAgent
from .watchdog import Watchdog
from . import wire

__all__ = ["RemoteAgent", "RemoteError", "ServerLost", "Watchdog", "wire"]
__version__ = "0.1.0"
