# Connect a robot to a PCKit agent in ten lines (start the server first: pcctl serve).
import os, gymnasium as gym
from pckit_client import RemoteAgent

env = gym.make("Pendulum-v1")                      # stands in for your robot
agent = RemoteAgent(os.environ.get("PCKIT_ENDPOINT", "tcp://127.0.0.1:5555"),
                    env.observation_space, env.action_space, {"type": "pendulumSwingUp"})
observation, _ = env.reset(seed=0)
for _ in range(200):
    observation, reward, *_ = env.step(agent.step(observation).astype("float32"))
print("final reward", reward); agent.close()
