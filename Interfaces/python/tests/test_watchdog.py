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


def _fake_watchdog(protocol, deadline=0.5):
    from conftest import unique_ipc
    from fake_server import FakeServer
    server = FakeServer(unique_ipc("dog"), protocol)
    agent = RemoteAgent(server.endpoint, OBS, ACT, timeout=1.0, retries=0)
    agent.connect()
    return server, agent, Watchdog(agent, safe_action=[0.0], deadline=deadline)


def test_watchdog_holds_safe_action_once_valid_until_has_passed():
    from fake_server import Protocol11
    # The server answers at once, but with a validUntil 1 ms before the step's own timestamp.
    protocol = Protocol11(valid_for_ns=-1_000_000, action=0.75)
    server, agent, dog = _fake_watchdog(protocol)
    try:
        for _ in range(5):
            assert dog.command([1.0, 0.0, 0.0])[0] == 0.0 and dog.holding
        assert dog.expired == 5 and dog.misses == 5
        assert agent.valid_until_ns is not None and agent.valid_until_ns < time.monotonic_ns()
        # The next fresh action (validUntil 10 s ahead) is applied again.
        protocol.valid_for_ns = 10_000_000_000
        assert dog.command([1.0, 0.0, 0.0])[0] == 0.75 and not dog.holding
        assert dog.expired == 5
    finally:
        agent.close()
        server.close()


def test_watchdog_applies_actions_whose_valid_until_is_ahead():
    from fake_server import Protocol11
    protocol = Protocol11(valid_for_ns=10_000_000_000, action=-1.25)
    server, agent, dog = _fake_watchdog(protocol)
    try:
        for _ in range(5):
            assert dog.command([1.0, 0.0, 0.0])[0] == -1.25 and not dog.holding
        assert dog.expired == 0 and dog.misses == 0
        # An action that expires while the robot is still waiting for it: held.
        protocol.valid_for_ns = 1
        assert dog.command([1.0, 0.0, 0.0])[0] == 0.0 and dog.holding and dog.expired == 1
    finally:
        agent.close()
        server.close()


def test_watchdog_holds_when_no_reply_comes():
    from fake_server import Protocol11
    protocol = Protocol11(valid_for_ns=10_000_000_000)
    server, agent, dog = _fake_watchdog(protocol, deadline=0.05)
    try:
        protocol.drop_next_steps = 1
        start = time.monotonic()
        assert dog.command([1.0, 0.0, 0.0])[0] == 0.0 and dog.holding
        assert time.monotonic() - start < 0.05 + 0.05
        assert dog.misses == 1 and dog.expired == 0
        # The unanswered request is still out: the next command holds too, without queueing a step.
        assert dog.command([1.0, 0.0, 0.0])[0] == 0.0 and dog.misses == 2
        dog._pending.join(3)  # its 1 s timeout ends it (ServerLost, swallowed) before the socket closes
        assert len(server.decoded("step")) == 1
    finally:
        agent.close()
        server.close()
