"""Read the telemetry socket of ``pcctl serve --telemetry`` and plot free energy per session."""
from __future__ import annotations

from collections import defaultdict
from typing import Dict, List, Optional

import zmq

from . import wire


class TelemetrySubscriber:
    """Receives per-step records: session, sequence, observation, action, free energy, iterations, beliefs."""

    def __init__(self, endpoint: str, context: Optional[zmq.Context] = None):
        self.socket = (context or zmq.Context.instance()).socket(zmq.SUB)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.setsockopt(zmq.SUBSCRIBE, b"")
        self.socket.connect(endpoint)

    def receive(self, timeout: float = 1.0) -> Optional[dict]:
        """The next record, or ``None`` after ``timeout`` seconds."""
        if not self.socket.poll(int(timeout * 1000)):
            return None
        observation, action, beliefs = (wire.decode_frame(f) for f in self.socket.recv_multipart())
        return {"session": observation.session, "sequence": observation.sequence,
                "timestamp": observation.timestamp, "observation": observation.values,
                "action": action.values, "free_energy": observation.free_energy,
                "iterations": observation.iterations, "beliefs": beliefs.values}

    def close(self) -> None:
        self.socket.close(linger=0)


def collect(subscriber: TelemetrySubscriber, records: int, timeout: float = 1.0) -> Dict[int, List[dict]]:
    """Up to ``records`` records grouped by session (stops early after ``timeout`` of silence)."""
    by_session: Dict[int, List[dict]] = defaultdict(list)
    for _ in range(records):
        record = subscriber.receive(timeout)
        if record is None:
            break
        by_session[record["session"]].append(record)
    return dict(by_session)


def plot_free_energy(by_session: Dict[int, List[dict]], path: str) -> None:
    """Free energy against sequence number, one line per session (needs matplotlib)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for session, records in by_session.items():
        ax.plot([r["sequence"] for r in records], [r["free_energy"] for r in records], label=f"session {session}")
    ax.set_xlabel("step")
    ax.set_ylabel("free energy")
    ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
