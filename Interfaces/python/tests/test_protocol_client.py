"""RemoteAgent's side of protocol 1.1, against a hand-driven ROUTER (fake_server.py): routing ids,
monotonic step stamps, validUntil and the new flags, client-side seed and actionValidity checks."""
import math
import time

import numpy as np
import pytest

from conftest import unique_ipc
from fake_server import FakeServer, Protocol11
from pckit_client import RemoteAgent, RemoteError, wire

OBS = ([-1.0, -1.0, -8.0], [1.0, 1.0, 8.0])
ACT = ([-2.0], [2.0])


@pytest.fixture
def fake():
    servers = []

    def start(handler):
        server = FakeServer(unique_ipc("fake"), handler)
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.close()


def test_routing_id_is_random_16_bytes_and_kept_across_lazy_pirate_reopens(fake):
    protocol = Protocol11()
    server = fake(protocol)
    agent = RemoteAgent(server.endpoint, OBS, ACT, timeout=0.15, retries=4)
    other = RemoteAgent(server.endpoint, OBS, ACT)
    assert len(agent.routing_id) == 16 and agent.routing_id[0] != 0
    assert agent.routing_id != other.routing_id
    agent.connect()
    protocol.drop_next_steps = 2  # two timeouts: the step goes out on three different sockets
    assert agent.step([1.0, 0.0, 0.0])[0] == pytest.approx(0.75)
    assert agent.retried == 2
    identities = [identity for identity, _ in server.requests]
    assert len(identities) == 4  # hello + three sends of step 1
    assert set(identities) == {agent.routing_id}
    agent.close()
    other.close()


def test_steps_are_stamped_with_the_monotonic_clock(fake):
    server = fake(Protocol11())
    with RemoteAgent(server.endpoint, OBS, ACT) as agent:
        before = time.monotonic_ns()
        agent.step([1.0, 0.0, 0.0])
        after = time.monotonic_ns()
        rtt = agent.heartbeat()
    (_, step), = server.decoded("step")
    assert before <= step.timestamp <= after
    (_, beat), = server.decoded("heartbeat")
    assert after <= beat.timestamp <= time.monotonic_ns()
    assert 0 <= rtt < 1.0


def test_action_exposes_valid_until_and_the_new_flags(fake):
    protocol = Protocol11(valid_for_ns=150_000_000, flags=wire.FLAG_OUT_OF_BOUNDS | wire.FLAG_DEADLINE_EXCEEDED)
    server = fake(protocol)
    with RemoteAgent(server.endpoint, OBS, ACT, control_period=0.05) as agent:
        assert agent.action_validity == pytest.approx(0.15) and agent.compute_deadline == pytest.approx(0.025)
        assert agent.valid_until_ns is None  # no action yet
        agent.step([1.0, 0.0, 9.0])
        (_, step), = server.decoded("step")
        assert agent.valid_until_ns == step.timestamp + 150_000_000
        assert agent.out_of_bounds and agent.deadline_exceeded
        assert agent.last_frame.out_of_bounds and agent.last_frame.deadline_exceeded
        protocol.flags = 0
        agent.step([1.0, 0.0, 0.0])
        assert not agent.out_of_bounds and not agent.deadline_exceeded


def test_a_1_0_server_gives_no_valid_until(fake):
    server = fake(Protocol11(protocol="1.0.0"))
    with RemoteAgent(server.endpoint, OBS, ACT) as agent:
        agent.step([1.0, 0.0, 0.0])
        assert agent.valid_until_ns is None and agent.action_validity is None and agent.compute_deadline is None


@pytest.mark.parametrize("seed", [-1, 2 ** 53, 1.5, math.nan, "7", True, None])
def test_bad_reset_seeds_are_refused_before_anything_is_sent(fake, seed):
    server = fake(Protocol11())
    agent = RemoteAgent(server.endpoint, OBS, ACT)
    with pytest.raises(ValueError) as info:
        agent.reset(seed)
    assert "seed" in str(info.value) and str(2 ** 53 - 1) in str(info.value)
    assert server.requests == []


def test_good_reset_seeds_go_out_as_json_integers(fake):
    server = fake(Protocol11())
    with RemoteAgent(server.endpoint, OBS, ACT) as agent:
        agent.reset(2 ** 53 - 1)
        agent.reset(7.0)
        agent.reset(np.int64(0))
    seeds = [m["seed"] for _, m in server.decoded("reset")]
    assert seeds == [2 ** 53 - 1, 7, 0] and all(type(s) is int for s in seeds)
    raw = [p for _, p in server.requests if b'"reset"' in p]
    assert b'"seed":7,' in raw[1] or b'"seed":7}' in raw[1]


def test_hello_carries_action_validity_only_when_given(fake):
    server = fake(Protocol11())
    RemoteAgent(server.endpoint, OBS, ACT, action_validity=0.2).connect()
    RemoteAgent(server.endpoint, OBS, ACT).connect()
    (_, given), (_, default) = server.decoded("hello")
    assert given["actionValidity"] == 0.2 and given["protocol"] == "1.1.0"
    assert "actionValidity" not in default
    for bad in [0, -1, 60.5, math.inf]:
        with pytest.raises(ValueError, match="action_validity"):
            RemoteAgent(server.endpoint, OBS, ACT, action_validity=bad)


def test_not_owner_is_raised_with_its_code_and_no_new_session(fake):
    protocol = Protocol11()

    def handler(payload, identity):
        if wire.is_frame(payload):
            return wire.encode_control({"kind": "error", "code": "notOwner", "session": 5, "sequence": 1,
                                        "message": "session 5 belongs to another client identity"})
        return protocol(payload, identity)

    server = fake(handler)
    agent = RemoteAgent(server.endpoint, OBS, ACT)
    agent.connect()
    with pytest.raises(RemoteError) as info:
        agent.step([1.0, 0.0, 0.0])
    assert info.value.code == "notOwner" and agent.reconnects == 0
    assert "notOwner" in wire.ERROR_CODES and len(server.decoded("hello")) == 1


def test_box_spaces_only_with_a_message_that_says_what_works():
    gym = pytest.importorskip("gymnasium")
    for space in [gym.spaces.Discrete(3), gym.spaces.MultiDiscrete([2, 2]),
                  gym.spaces.Dict({"a": gym.spaces.Box(-1, 1)})]:
        with pytest.raises(ValueError, match="action_space .* is not a box"):
            RemoteAgent("ipc:///nonexistent", OBS, space)
