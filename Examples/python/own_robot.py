# A robot PCKit has never seen — a mass on a spring — learned and controlled over the bridge (start: pcctl serve).
import os, numpy as np
from pckit_client import RemoteAgent

x = np.zeros(2)                                   # your robot: position (m), velocity (m/s); force ±4 N at 20 Hz
def robot_step(force): x[1] += 0.05 * (force - 4 * x[0] - 0.5 * x[1]); x[0] += 0.05 * x[1]
goal = {"agent": "learning", "goal": {"target": [0.5, 0], "precision": [10, 0.1], "explorationSteps": 300}}
agent = RemoteAgent(os.environ.get("PCKIT_ENDPOINT", "tcp://127.0.0.1:5555"), ([-5, -5], [5, 5]), ([-4], [4]), goal)
for _ in range(1000): robot_step(float(agent.step(x)[0]))
print("position", x[0]); agent.close()
