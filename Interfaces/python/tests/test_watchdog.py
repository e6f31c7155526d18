"""The robot-side watchdog holds the safe action when the server stops answering, and resumes."""
import signal
import time

import numpy as np

from pckit_client import RemoteAgent, Watchdog

OBS = ([-1.0, -1.0, -8.0], [1.0, 1.0, 8.0])
ACT = ([-2.0], [2.0])
LINEAR = {"type": "linear", "gain": [[0.0, 0.0, 1.0]], "bias": [0.0]}


def test_watchdog_holds_safe_action_while_server_is_frozen(start_server):
    server, endpoint = start_server()
    agent = RemoteAgent(endpoint, OBS, ACT, LINEAR, scalar="float64", timeout=0.2, retries=20)
    agent.connect()
    dog = Watchdog(agent, safe_action=[0.0], deadline=0.05)
    observation = np.array([1.0, 0.0, 1.5])  # the agent answers −1.5

    for _ in range(10):
        assert dog.command(observation)[0] == -1.5 and not dog.holding
    server.proc.send_signal(signal.SIGSTOP)  # replies stop
    try:
        for _ in range(10):
            start = time.monotonic()
            assert dog.command(observation)[0] == 0.0 and dog.holding
            assert time.monotonic() - start < 0.05 + 0.05
    finally:
        server.proc.send_signal(signal.SIGCONT)
    # The late request completes (a retry of the same sequence gets the cached reply); then normal service.
    deadline = time.monotonic() + 5
    while dog.command(observation)[0] != -1.5:
        assert time.monotonic() < deadline, "agent did not resume after the server thawed"
        time.sleep(0.05)
    assert not dog.holding and dog.misses >= 10
