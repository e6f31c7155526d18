"""Read the telemetry socket of ``pcctl serve --telemetry`` and plot free energy per session."""
from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from typing import Dict, List, Optional

import zmq

from . import wire


class TelemetrySubscriber:
    """Receives per-step records: session, sequence, observation, action, free energy, iterations,
    beliefs, and ``fields``: the beliefs split by the session's telemetry layout (``{name: values}``,
    e.g. ``plannedStates``, ``plannedControls``, ``predictionError``; empty until the layout, which
    the server publishes before a session's first step and then once a second, has arrived)."""

    MAX_LAYOUTS = 1024  # sessions whose layout is kept (the latest)

    def __init__(self, endpoint: str, context: Optional[zmq.Context] = None):
        self.socket = (context or zmq.Context.instance()).socket(zmq.SUB)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.setsockopt(zmq.MAXMSGSIZE, wire.MAX_MESSAGE_BYTES)
        self.socket.setsockopt(zmq.SUBSCRIBE, b"")
        self.socket.connect(endpoint)
        self.layouts: Dict[int, List[tuple]] = {}  # session -> [(field name, count)]

    def receive(self, timeout: float = 1.0) -> Optional[dict]:
        """The next record, or ``None`` after ``timeout`` seconds (layout messages are read on the way)."""
        deadline = time.monotonic() + timeout
        while True:
            wait = max(0.0, deadline - time.monotonic())
            if not self.socket.poll(int(wait * 1000)):
                return None
            parts = self.socket.recv_multipart()
            if len(parts) == 1 and parts[0][:1] == b"{":
                self._read_layout(parts[0])
                continue
            observation, action, beliefs = (wire.decode_frame(f) for f in parts)
            fields = {}
            layout = self.layouts.get(observation.session)
            if layout is not None and sum(count for _, count in layout) == len(beliefs.values):
                start = 0
                for name, count in layout:
                    fields[name] = list(beliefs.values[start:start + count])
                    start += count
            return {"session": observation.session, "sequence": observation.sequence,
                    "timestamp": observation.timestamp, "observation": observation.values,
                    "action": action.values, "free_energy": observation.free_energy,
                    "iterations": observation.iterations, "beliefs": beliefs.values, "fields": fields}

    def _read_layout(self, part: bytes) -> None:
        message = json.loads(part.decode("utf-8"))
        if not isinstance(message, dict) or message.get("kind") != "telemetryLayout":
            raise ValueError(f"telemetry: a one-frame message of kind {message.get('kind') if isinstance(message, dict) else None!r}, "
                             f"expected 'telemetryLayout'")
        fields = [(f["name"], int(f["count"])) for f in message["fields"]]
        session = int(message["session"])
        self.layouts.pop(session, None)
        self.layouts[session] = fields
        while len(self.layouts) > self.MAX_LAYOUTS:
            self.layouts.pop(next(iter(self.layouts)))

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


def plot_free_energy(by_session: Dict[int, List[dict]], path: str, width: int = 640, height: int = 320) -> int:
    """Writes an SVG of free energy against sequence number, one polyline per session; records
    with a non-finite free energy are left out. Needs no plotting library.

    Returns the number of polylines drawn."""
    series = []
    for session, records in sorted(by_session.items()):
        points = [(r["sequence"], r["free_energy"]) for r in records if math.isfinite(r["free_energy"])]
        if points:
            series.append((session, points))
    xs = [x for _, pts in series for x, _ in pts] or [0, 1]
    ys = [y for _, pts in series for _, y in pts] or [0, 1]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0, y1 = min(ys), max(ys) if max(ys) > min(ys) else min(ys) + 1
    margin = 40
    sx = lambda x: margin + (x - x0) / (x1 - x0) * (width - 2 * margin)
    sy = lambda y: height - margin - (y - y0) / (y1 - y0) * (height - 2 * margin)
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{margin}" y="20" font-size="12">free energy per step ({y0:.3g} … {y1:.3g})</text>']
    for i, (session, points) in enumerate(series):
        coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
        parts.append(f'<polyline fill="none" stroke="{colours[i % len(colours)]}" points="{coords}">'
                     f'<title>session {session}</title></polyline>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts))
    return len(series)
