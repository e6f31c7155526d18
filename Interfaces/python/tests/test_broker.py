"""Two `pcctl serve` workers behind `pcctl broker` serve 16 robots; killing one loses only its sessions."""
import signal

import pytest

from conftest import unique_ipc
from pckit_client import RemoteAgent

OBS = ([-1.0, -1.0, -8.0], [1.0, 1.0, 8.0])
ACT = ([-2.0], [2.0])
LINEAR = {"type": "linear", "gain": [[1.0, 2.0, 3.0]], "target": [0.5, 0.0, 0.0], "bias": [0.25]}


def test_killing_one_worker_loses_only_its_sessions(start_process):
    broker = start_process(["broker", "--frontend", unique_ipc("front"), "--backend", unique_ipc("back")], lines=2)
    workers = [start_process(["serve", "--connect", broker.value("backend"), "--bind", unique_ipc("worker")], lines=1)
               for _ in range(2)]
    import time
    time.sleep(0.3)  # both workers connected before hellos are spread
    robots = [RemoteAgent(broker.value("frontend"), OBS, ACT, LINEAR, scalar="float64", timeout=0.2, retries=1)
              for _ in range(16)]
    for r in robots:
        r.connect()
    by_worker = {}
    for r in robots:
        by_worker.setdefault(r.endpoint, []).append(r)
    assert sorted(by_worker) == sorted(w.value("listening") for w in workers)
    assert [len(v) for v in by_worker.values()] == [8, 8]
    for r in robots:
        assert r.step([0.5, 0, 0])[0] == pytest.approx(0.25)

    victim, survivor = workers
    victim.stop(signal.SIGKILL)
    for r in robots:
        assert r.step([0.5, 0, 0])[0] == pytest.approx(0.25)
    lost = [r for r in robots if r.reconnects == 1]
    kept = [r for r in robots if r.reconnects == 0]
    # Exactly the victim's 8 robots started new sessions (on the survivor); the others never noticed.
    assert len(lost) == 8 and len(kept) == 8
    assert all(r.endpoint == survivor.value("listening") for r in robots)
    assert all(r.retried == 0 for r in kept)
    for r in robots:
        r.close()
