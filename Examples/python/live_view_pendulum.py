"""Two pendulum robots on one PCKit server, to watch live (README, "Watch a session live").

    pcctl serve --bind tcp://127.0.0.1:5555 --telemetry tcp://127.0.0.1:5556
    python -m pckit_client.live_view --telemetry tcp://127.0.0.1:5556 --web-port 9090   # open the printed URL
    python Examples/python/live_view_pendulum.py --seconds 20

Each robot is a Gymnasium Pendulum-v1 (its own session, so its own entity in the viewer) swinging
up with the served predictive controller, stepped in real time (50 ms control period). Prints each
robot's session id and return.
"""
import argparse
import time

import gymnasium as gym
import numpy as np

from pckit_client.gym_adapter import remote_agent_for

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--endpoint", default="tcp://127.0.0.1:5555", help="where pcctl serve listens")
parser.add_argument("--seconds", type=float, default=20.0, help="how long to run (real time)")
parser.add_argument("--speed", type=float, default=1.0, help="times real time (0: as fast as the agent answers)")
args = parser.parse_args()

robots = []
for seed in (0, 1):
    env = gym.make("Pendulum-v1")
    agent = remote_agent_for(env, args.endpoint, {"agent": "predictiveController", "task": "pendulum"},
                             scalar="float64", timeout=5.0)
    robots.append({"env": env, "agent": agent, "observation": env.reset(seed=seed)[0], "return": 0.0})
period = robots[0]["env"].unwrapped.dt  # 0.05 s
steps = int(args.seconds / period)
start = time.monotonic()
for step in range(steps):
    for robot in robots:
        action = robot["agent"].step(robot["observation"])
        robot["observation"], reward, *_ = robot["env"].step(action.astype(np.float32))
        robot["return"] += float(reward)
    if args.speed > 0:
        time.sleep(max(0.0, start + (step + 1) * period / args.speed - time.monotonic()))
for robot in robots:
    print(f"session {robot['agent'].session} return {robot['return']:.2f} over {steps} steps")
    robot["agent"].close()
    robot["env"].close()
