#!/usr/bin/env python3
"""A simulated pendulum robot at 50 Hz that follows a PCKit agent, with a robot-side watchdog.

The watchdog gives each request one control period (20 ms). When the agent is late or gone, or its
action is past its validUntil (the step's time.monotonic_ns() stamp + the session's action
validity), it applies the safe action (zero torque) instead, so the robot never waits on the network
and never applies a stale action.

    pcctl serve --bind ipc:///tmp/pckit.sock &
    python watchdog_robot.py --endpoint ipc:///tmp/pckit.sock --seconds 5
"""
import argparse
import math
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from pckit_client import RemoteAgent, Watchdog  # noqa: E402
from pckit_client.watchdog import control_loop  # noqa: E402


class Pendulum:
    """Gymnasium Pendulum-v1 dynamics (θ = 0 upright), enough to close the loop."""

    def __init__(self, theta=math.pi, velocity=0.0):
        self.theta, self.velocity = theta, velocity

    def sensors(self):
        return np.array([math.cos(self.theta), math.sin(self.theta), self.velocity])

    def apply(self, action, dt=0.05):
        u = float(np.clip(action[0], -2, 2))
        self.velocity = float(np.clip(self.velocity + (15 * math.sin(self.theta) + 3 * u) * dt, -8, 8))
        self.theta += self.velocity * dt


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="tcp://127.0.0.1:5555")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=50.0)
    args = parser.parse_args()

    robot = Pendulum()
    agent = RemoteAgent(args.endpoint, ([-1, -1, -8], [1, 1, 8]), ([-2], [2]), {"type": "pendulumSwingUp"},
                        robot="watchdog-example", control_period=1 / args.rate, timeout=0.2, retries=50)
    watchdog = Watchdog(agent, safe_action=[0.0], deadline=1 / args.rate)
    held = control_loop(watchdog, robot.sensors, robot.apply, period=1 / args.rate, steps=int(args.seconds * args.rate))
    upright = abs(math.remainder(robot.theta, 2 * math.pi)) < 0.1
    print(f"steps {len(held)} held {sum(held)} upright {upright} expired {watchdog.expired}")
    agent.close()


if __name__ == "__main__":
    main()
