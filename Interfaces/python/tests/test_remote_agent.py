"""RemoteAgent against a real `pcctl serve`: steps, errors, lazy-pirate retries, server restart,
idle-timeout reconnect, CURVE, telemetry."""
import json
import signal
import threading
import time

import numpy as np
import pytest

from conftest import pcctl_output, unique_ipc
from pckit_client import RemoteAgent, RemoteError, ServerLost
from pckit_client.telemetry import TelemetrySubscriber, collect, plot_free_energy

OBS = ([-1.0, -1.0, -8.0], [1.0, 1.0, 8.0])
ACT = ([-2.0], [2.0])
LINEAR = {"type": "linear", "gain": [[1.0, 2.0, 3.0]], "target": [0.5, 0.0, 0.0], "bias": [0.25]}


def expected(y):
    return float(np.clip(0.25 - (1.0 * (y[0] - 0.5) + 2.0 * y[1] + 3.0 * y[2]), -2.0, 2.0))


def test_steps_are_answered_by_the_agent(start_server):
    _, endpoint = start_server()
    rng = np.random.default_rng(0)
    with RemoteAgent(endpoint, OBS, ACT, LINEAR, scalar="float64") as agent:
        assert agent.welcome["observationDimension"] == 3 and agent.welcome["actionDimension"] == 1
        for i in range(300):
            y = rng.uniform([-1, -1, -8], [1, 1, 8])
            action = agent.step(y)
            assert action.shape == (1,)
            assert action[0] == pytest.approx(expected(y), abs=1e-12)
            assert agent.last_frame.sequence == i + 1
        agent.reset(seed=4)
        assert agent.step([0.5, 0.0, 0.0])[0] == pytest.approx(0.25)
    assert agent.retried == 0 and agent.reconnects == 0


def test_float32_sessions_round_to_binary32(start_server):
    _, endpoint = start_server()
    with RemoteAgent(endpoint, OBS, ACT, LINEAR) as agent:
        y = np.array([0.1, 0.2, 0.3])
        assert agent.step(y)[0] == pytest.approx(expected(y.astype(np.float32)), rel=1e-6)


def test_errors_carry_codes(start_server):
    _, endpoint = start_server()
    with pytest.raises(RemoteError) as info:
        RemoteAgent(endpoint, OBS, ACT, {"type": "nonesuch"}).connect()
    assert info.value.code == "agentRejected" and "nonesuch" in str(info.value)
    agent = RemoteAgent(endpoint, OBS, ACT, LINEAR)
    agent.connect()
    with pytest.raises(RemoteError) as info:
        agent.step([1.0, 2.0])
    assert info.value.code == "dimensionMismatch" and "expected 3" in str(info.value)
    with pytest.raises(RemoteError) as info:
        agent.step([np.nan, 0, 0])
    assert info.value.code == "nonFiniteValue"
    agent.close()


def test_no_server_raises_server_lost_after_retries():
    agent = RemoteAgent(unique_ipc("nobody"), OBS, ACT, LINEAR, timeout=0.1, retries=2)
    start = time.monotonic()
    with pytest.raises(ServerLost):
        agent.connect()
    assert agent.retried == 3
    assert time.monotonic() - start < 1.0


def test_server_restart_is_survived(start_server):
    server, endpoint = start_server()
    agent = RemoteAgent(endpoint, OBS, ACT, LINEAR, scalar="float64", timeout=0.3, retries=8)
    agent.connect()
    assert agent.step([0.5, 0.0, 0.0])[0] == pytest.approx(0.25)
    server.stop(signal.SIGKILL)
    # The server comes back 0.7 s later; meanwhile the step times out and is retried.
    restarter = threading.Timer(0.7, lambda: start_server(endpoint=endpoint))
    restarter.start()
    y = [0.3, -0.2, 1.0]
    action = agent.step(y)
    restarter.join()
    assert action[0] == pytest.approx(expected(y), abs=1e-12)
    assert agent.retried >= 1, "the step should have been retried while the server was down"
    assert agent.reconnects == 1, "the new server does not know the old session: one new hello"
    for _ in range(10):
        agent.step(y)
    agent.close()


def test_idle_session_is_dropped_and_the_robot_starts_again(start_server):
    _, endpoint = start_server("--idle-timeout", "0.3")
    agent = RemoteAgent(endpoint, OBS, ACT, LINEAR)
    first = agent.connect()["session"]
    agent.step([0.5, 0, 0])
    for _ in range(4):  # heartbeats keep it alive past the timeout
        time.sleep(0.15)
        agent.heartbeat()
    agent.step([0.5, 0, 0])
    assert agent.reconnects == 0
    time.sleep(0.8)  # silence: the server drops the session
    agent.step([0.5, 0, 0])
    assert agent.reconnects == 1 and agent.session != first


def test_curve_without_key_gets_nothing_with_key_works(start_server, tmp_path):
    keys = json.loads(pcctl_output("keygen"))
    key_file = tmp_path / "server-key.json"
    key_file.write_text(json.dumps(keys))
    key_file.chmod(0o600)  # pcctl serve refuses a secret key others can read
    server, endpoint = start_server("--curve-key-file", str(key_file), lines=2)
    assert server.value("curve-public-key") == keys["publicKey"]
    with pytest.raises(ServerLost):
        RemoteAgent(endpoint, OBS, ACT, LINEAR, timeout=0.3, retries=0).connect()
    with RemoteAgent(endpoint, OBS, ACT, LINEAR, scalar="float64", curve_server_key=keys["publicKey"]) as agent:
        assert agent.step([0.5, 0, 0])[0] == pytest.approx(0.25)


def test_curve_admits_only_authorized_client_keys(start_server, tmp_path):
    server_keys = json.loads(pcctl_output("keygen"))
    robot_keys = json.loads(pcctl_output("keygen"))
    (tmp_path / "server.json").write_text(json.dumps(server_keys))
    (tmp_path / "server.json").chmod(0o600)
    (tmp_path / "clients.json").write_text(json.dumps([robot_keys["publicKey"]]))
    _, endpoint = start_server("--curve-key-file", str(tmp_path / "server.json"),
                               "--curve-authorized-keys", str(tmp_path / "clients.json"), lines=2)
    with pytest.raises(ServerLost):
        RemoteAgent(endpoint, OBS, ACT, LINEAR, timeout=0.3, retries=0,
                    curve_server_key=server_keys["publicKey"]).connect()
    with RemoteAgent(endpoint, OBS, ACT, LINEAR, scalar="float64", curve_server_key=server_keys["publicKey"],
                     curve_client_keys=(robot_keys["publicKey"], robot_keys["secretKey"])) as agent:
        assert agent.step([0.5, 0, 0])[0] == pytest.approx(0.25)


def test_config_file_gives_the_default_agent(start_server, tmp_path):
    config = tmp_path / "serve.json"
    config.write_text(json.dumps({"agent": LINEAR, "idleTimeout": 5}))
    _, endpoint = start_server("--config", str(config))
    with RemoteAgent(endpoint, OBS, ACT, {}, scalar="float64") as agent:
        assert agent.welcome["idleTimeout"] == 5
        assert agent.step([0.5, 0, 0])[0] == pytest.approx(0.25)


def test_telemetry_publishes_every_step(start_server):
    telemetry = unique_ipc("tel")
    server, endpoint = start_server("--telemetry", telemetry, lines=2)
    subscriber = TelemetrySubscriber(server.value("telemetry"))
    with RemoteAgent(endpoint, OBS, ACT, LINEAR, scalar="float64") as agent:
        # SUB joins asynchronously: step until records flow, then count a clean run of 50.
        for _ in range(100):
            agent.step([0.5, 0, 0])
            if subscriber.receive(0.02) is not None:
                break
        while subscriber.receive(0.05) is not None:
            pass
        ys = [np.array([0.1 * i, 0.0, 0.0]) for i in range(50)]
        actions = [agent.step(y) for y in ys]
        records = collect(subscriber, 50, timeout=1.0)[agent.session]
    subscriber.close()
    assert len(records) == 50
    sequences = [r["sequence"] for r in records]
    assert sequences == list(range(sequences[0], sequences[0] + 50))
    for r, y, a in zip(records, ys, actions):
        assert np.array_equal(r["observation"], y) and np.array_equal(r["action"], a)
        assert np.isnan(r["free_energy"])  # the linear reference agent has no free energy


def test_free_energy_plot_draws_one_line_per_session(tmp_path):
    import xml.etree.ElementTree as ET
    records = {7: [{"sequence": i, "free_energy": 1.0 / (i + 1)} for i in range(20)],
               9: [{"sequence": i, "free_energy": float("nan")} for i in range(5)] +
                  [{"sequence": i, "free_energy": 2.0 - 0.1 * i} for i in range(5, 15)],
               11: [{"sequence": 1, "free_energy": float("nan")}]}
    path = tmp_path / "fe.svg"
    assert plot_free_energy(records, str(path)) == 2
    lines = ET.parse(path).getroot().findall("{http://www.w3.org/2000/svg}polyline")
    assert [len(l.get("points").split()) for l in lines] == [20, 10]
    # The first session's free energy falls, so its polyline rises in SVG y (downwards on screen).
    ys = [float(p.split(",")[1]) for p in lines[0].get("points").split()]
    assert ys == sorted(ys)
