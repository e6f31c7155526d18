"""Watch ``pcctl serve --telemetry`` live in rerun's viewer, or save it as a rerun .rrd file.

Run::

    python -m pckit_client.live_view --telemetry tcp://127.0.0.1:5556 --web-port 9090
    python -m pckit_client.live_view --telemetry tcp://127.0.0.1:5556 --save session.rrd --seconds 30

Each telemetry record (Interfaces/protocol/PROTOCOL.md §3.2: observation frame, action frame,
beliefs frame) is logged on the timeline ``step`` (the robot's sequence number) and on
``robot_time`` (the step's timestamp, the robot's monotonic clock), under one entity per session
(robot): ``session/<id>/free_energy``, ``…/iterations``, ``…/action``, ``…/observation`` and
``…/flags`` (converged, warning, deadline exceeded as 0/1), as rerun ``Scalars`` (vectors give one
series per coordinate).

The beliefs frame is split by the session's telemetry layout (a JSON message the server publishes
before the session's first step and then once a second): each field is logged as
``session/<id>/beliefs/<field>`` — a learning agent's ``phase``, ``modelVersion`` and
``predictionError`` (online RMS prediction error per observation coordinate), an active-inference
agent's beliefs — except a predictive controller's plan (``plannedStates``, ``plannedControls``):
the planned trajectory is logged at every step as bar charts over the horizon, one per state
coordinate (``session/<id>/plan/states/x<i>``: x_k[i] for k = 0…H) and per control coordinate
(``…/plan/controls/u<j>``: u_k[j], k = 0…H−1), shown in place of the beliefs plot (scrub the
timeline to see the plan change); the plan's first control is the executed action (before clipping). Before a session's layout has arrived (a viewer
that joined late), its beliefs are logged unsplit as ``session/<id>/beliefs/values``.

The layout shows one column of plots per session, for the latest 8 sessions to appear (flags are in
the recording but not in the default layout: add a view for them in the viewer). Reference agents
have no free energy (NaN on the wire): nothing is logged for it then.

Each message is checked before use: exactly three parts, each within the protocol's size limit and
a valid frame (``wire.decode_frame``) of the expected kind, all naming one session and sequence
(below 2^63, rerun's timeline range). A message that breaks a rule is not logged; the rule is
printed on standard error and counted, and the view goes on.
"""
from __future__ import annotations

import argparse
import signal
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Callable, List, Optional, TextIO

import numpy as np
import zmq

from . import wire

APPLICATION_ID = "pckit_live_view"
PARTS = 3  # observation frame, action frame, beliefs frame
MAX_TIMELINE = 2 ** 63 - 1
DRAIN_SECONDS = 2.0  # after Ctrl-C, how long to go on logging what has already arrived
MAX_COLUMNS = 8  # sessions laid out side by side; later ones are in the recording, not the layout
MAX_LAYOUTS = 1024  # telemetry layouts kept (the latest sessions'); older sessions' beliefs are logged unsplit


class TelemetryMessageError(ValueError):
    """A telemetry message that cannot be logged; the text names the broken rule."""


@dataclass
class TelemetryRecord:
    """One step of one session as published on the telemetry socket."""
    session: int
    sequence: int
    timestamp_ns: int          # the robot's monotonic clock, ns (the step's timestamp, echoed)
    observation: np.ndarray    # (observationDimension), float64
    action: np.ndarray         # (actionDimension), as sent to the robot
    free_energy: float         # NaN when the agent has none
    iterations: int
    flags: int
    beliefs: np.ndarray        # (beliefDimension), may be empty


@dataclass
class LayoutField:
    name: str
    count: int


@dataclass
class TelemetryLayout:
    """What the values of one session's beliefs frame are (the server's ``telemetryLayout``)."""
    session: int
    robot: str
    observation_dimension: int
    action_dimension: int
    fields: List[LayoutField]


FIELD_NAME = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def decode_layout(part: bytes) -> TelemetryLayout:
    """Decodes a one-frame ``telemetryLayout`` message; raises :class:`TelemetryMessageError`
    naming the first broken rule (the frame's size is bounded by the socket's limit)."""
    import json
    try:
        message = json.loads(part.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise TelemetryMessageError(f"a one-frame message is not JSON: {error}") from None
    if not isinstance(message, dict) or message.get("kind") != "telemetryLayout":
        kind = message.get("kind") if isinstance(message, dict) else None
        raise TelemetryMessageError(f"a one-frame message of kind {kind!r}, expected 'telemetryLayout'")
    def integer(key, low, high):
        value = message.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise TelemetryMessageError(f"telemetryLayout.{key} is {value!r}, expected an integer in {low}…{high}")
        return value
    session = integer("session", 1, wire.MAX_SESSION_ID)
    observation_dimension = integer("observationDimension", 1, wire.MAX_VALUES)
    action_dimension = integer("actionDimension", 1, wire.MAX_VALUES)
    robot = message.get("robot")
    if not isinstance(robot, str):
        raise TelemetryMessageError(f"telemetryLayout.robot is {robot!r}, expected a string")
    fields = message.get("fields")
    if not isinstance(fields, list):
        raise TelemetryMessageError("telemetryLayout.fields is not a list")
    out, names, total = [], set(), 0
    for i, item in enumerate(fields):
        name = item.get("name") if isinstance(item, dict) else None
        count = item.get("count") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name or not set(name) <= FIELD_NAME or name in names:
            raise TelemetryMessageError(f"telemetryLayout.fields[{i}].name {name!r} is not a new name of letters, "
                                        f"digits and _")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise TelemetryMessageError(f"telemetryLayout.fields[{i}].count {count!r} is not an integer ≥ 1")
        total += count
        if total > wire.MAX_VALUES:
            raise TelemetryMessageError(f"telemetryLayout.fields count more than {wire.MAX_VALUES} values, a data "
                                        f"frame's limit")
        names.add(name)
        out.append(LayoutField(name, count))
    return TelemetryLayout(session, robot, observation_dimension, action_dimension, out)


def decode_message(parts: List[bytes]) -> TelemetryRecord:
    """Decodes one telemetry message (three frames); raises :class:`TelemetryMessageError` or
    :class:`wire.WireError` naming the first broken rule."""
    if len(parts) != PARTS:
        raise TelemetryMessageError(f"telemetry message has {len(parts)} parts, expected {PARTS} "
                                    f"(observation, action, beliefs frames)")
    observation, action, beliefs = (wire.decode_frame(p) for p in parts)
    for name, frame, kind in (("first", observation, "telemetry"), ("second", action, "action"),
                              ("third", beliefs, "telemetry")):
        if frame.kind != kind:
            raise TelemetryMessageError(f"the {name} frame is a {frame.kind} frame, expected a {kind} frame")
    if not (observation.session == action.session == beliefs.session
            and observation.sequence == action.sequence == beliefs.sequence):
        raise TelemetryMessageError(
            f"frames disagree on (session, sequence): observation {(observation.session, observation.sequence)}, "
            f"action {(action.session, action.sequence)}, beliefs {(beliefs.session, beliefs.sequence)}")
    # rerun's timelines are signed 64-bit; the wire's sequence and timestamp are unsigned.
    if observation.sequence > MAX_TIMELINE:
        raise TelemetryMessageError(f"sequence {observation.sequence} exceeds {MAX_TIMELINE} (2^63 − 1), the "
                                    f"largest step rerun's timeline holds")
    if observation.timestamp > MAX_TIMELINE:
        raise TelemetryMessageError(f"timestamp {observation.timestamp} ns exceeds {MAX_TIMELINE} ns (2^63 − 1), "
                                    f"the largest time rerun's timeline holds")
    return TelemetryRecord(observation.session, observation.sequence, observation.timestamp,
                           np.asarray(observation.values, dtype=np.float64),
                           np.asarray(action.values, dtype=np.float64), float(observation.free_energy),
                           int(observation.iterations), int(observation.flags),
                           np.asarray(beliefs.values, dtype=np.float64))


def receive_parts(socket: zmq.Socket) -> List[bytes]:
    """Receives one whole message; keeps at most ``PARTS + 1`` parts (enough to report too many)
    and drops the rest, so a hostile publisher cannot make it hold more."""
    parts = [socket.recv()]
    while socket.getsockopt(zmq.RCVMORE):
        part = socket.recv()
        if len(parts) <= PARTS:
            parts.append(part)
    return parts


def open_subscriber(endpoint: str, context: Optional[zmq.Context] = None) -> zmq.Socket:
    """A SUB socket on ``endpoint`` that drops (and disconnects from) any part larger than the
    protocol's message limit before it reaches Python."""
    socket = (context or zmq.Context.instance()).socket(zmq.SUB)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.MAXMSGSIZE, wire.MAX_MESSAGE_BYTES)
    socket.setsockopt(zmq.SUBSCRIBE, b"")
    try:
        socket.connect(endpoint)
    except zmq.ZMQError as error:
        socket.close(linger=0)
        raise ValueError(f"cannot subscribe to telemetry endpoint {endpoint!r}: {error} "
                         f"(give what `pcctl serve --telemetry` printed, e.g. tcp://127.0.0.1:5556)") from None
    return socket


# The plots of each session, top to bottom: (entity under session/<id>/, title).
PLOTS = (("free_energy", "free energy"), ("action", "action"), ("observation", "observation"),
         ("beliefs", "beliefs"), ("iterations", "inference iterations"))
PLAN_FIELDS = ("plannedStates", "plannedControls")


def blueprint(sessions: List[int], planning: Optional[dict] = None):
    """The viewer's layout: one column per session (the latest ``MAX_COLUMNS`` to appear), one
    time-series plot per quantity; for a session whose agent plans (``planning``: session →
    (state count, control count)), the beliefs plot gives way to the planned trajectory, one bar
    chart over the horizon per state and control coordinate. The side panels start collapsed so the
    plots get the room."""
    import rerun.blueprint as rrb
    planning = planning or {}
    columns = []
    for s in sessions[-MAX_COLUMNS:]:
        views = []
        for entity, title in PLOTS:
            if entity == "beliefs" and s in planning:
                n, m = planning[s]
                views.append(rrb.Horizontal(
                    *(rrb.BarChartView(origin=f"/session/{s}/plan/states/x{i}", name=f"session {s}: planned x[{i}], k = 0…H")
                      for i in range(n)),
                    *(rrb.BarChartView(origin=f"/session/{s}/plan/controls/u{j}", name=f"session {s}: planned u[{j}], k = 0…H−1")
                      for j in range(m))))
            else:
                views.append(rrb.TimeSeriesView(origin=f"/session/{s}/{entity}", name=f"session {s}: {title}"))
        columns.append(rrb.Vertical(*views))
    return rrb.Blueprint(rrb.Horizontal(*columns), rrb.BlueprintPanel(expanded=False),
                         rrb.SelectionPanel(expanded=False), rrb.TimePanel(expanded=False))


def plan_matrices(states: np.ndarray, controls: np.ndarray, action_dimension: int):
    """The plan as matrices over the horizon: states (H+1, n), row k = x_k, and controls (H, m),
    row k = u_k; ``None`` when the sizes are not (H+1)·n and H·m."""
    if action_dimension < 1 or controls.size % action_dimension:
        return None
    horizon = controls.size // action_dimension
    if horizon < 1 or states.size % (horizon + 1):
        return None
    n = states.size // (horizon + 1)
    return states.reshape(horizon + 1, n), controls.reshape(horizon, action_dimension)


class RerunLogger:
    """Logs telemetry records to a rerun recording (its sinks: a file, a gRPC server, or both);
    sends a new layout (:func:`blueprint`) whenever a session appears or turns out to plan."""

    def __init__(self, recording):
        self.recording = recording
        self.sessions: List[int] = []   # the latest MAX_COLUMNS sessions, in order of appearance
        self.known: set = set()         # every session seen (one int each)
        self.layouts: dict = {}         # session -> TelemetryLayout (the latest MAX_LAYOUTS sessions)
        self.planning: dict = {}        # session -> (state count, control count) of the plan drawn

    def set_layout(self, layout: TelemetryLayout) -> None:
        self.layouts.pop(layout.session, None)
        self.layouts[layout.session] = layout
        while len(self.layouts) > MAX_LAYOUTS:
            self.layouts.pop(next(iter(self.layouts)))

    def log_beliefs(self, base: str, session: int, beliefs: np.ndarray) -> None:
        import rerun as rr
        rec = self.recording
        layout = self.layouts.get(session)
        if layout is None or sum(f.count for f in layout.fields) != beliefs.size:
            if beliefs.size:
                rec.log(f"{base}/beliefs/values", rr.Scalars(beliefs))
            return
        values, start = {}, 0
        for f in layout.fields:
            values[f.name] = beliefs[start:start + f.count]
            start += f.count
        plan = None
        if all(name in values for name in PLAN_FIELDS):
            plan = plan_matrices(values["plannedStates"], values["plannedControls"], layout.action_dimension)
        if plan is not None:
            states, controls = plan
            for i in range(states.shape[1]):
                rec.log(f"{base}/plan/states/x{i}", rr.BarChart(states[:, i]))
            for j in range(controls.shape[1]):
                rec.log(f"{base}/plan/controls/u{j}", rr.BarChart(controls[:, j]))
            if self.planning.get(session) != (states.shape[1], controls.shape[1]):
                self.planning[session] = (states.shape[1], controls.shape[1])
                rec.send_blueprint(blueprint(self.sessions, self.planning))
        for name, block in values.items():
            if plan is not None and name in PLAN_FIELDS:
                continue
            rec.log(f"{base}/beliefs/{name}", rr.Scalars(block))

    def log(self, record: TelemetryRecord) -> None:
        import rerun as rr
        rec = self.recording
        rec.set_time("step", sequence=record.sequence)
        rec.set_time("robot_time", duration=np.timedelta64(record.timestamp_ns, "ns"))
        base = f"session/{record.session}"
        if record.session not in self.known:
            self.known.add(record.session)
            self.sessions = (self.sessions + [record.session])[-MAX_COLUMNS:]
            rec.log(f"{base}/flags", rr.SeriesLines(names=["converged", "warning", "deadline exceeded"]), static=True)
            rec.send_blueprint(blueprint(self.sessions, self.planning))
        if np.isfinite(record.free_energy):
            rec.log(f"{base}/free_energy", rr.Scalars(record.free_energy))
        rec.log(f"{base}/iterations", rr.Scalars(float(record.iterations)))
        rec.log(f"{base}/action", rr.Scalars(record.action))
        rec.log(f"{base}/observation", rr.Scalars(record.observation))
        self.log_beliefs(base, record.session, record.beliefs)
        rec.log(f"{base}/flags", rr.Scalars([float(bool(record.flags & f)) for f in
                                             (wire.FLAG_CONVERGED, wire.FLAG_WARNING, wire.FLAG_DEADLINE_EXCEEDED)]))


@dataclass
class Summary:
    logged: int = 0
    refused: int = 0
    sessions: set = field(default_factory=set)


def run(socket: zmq.Socket, logger: RerunLogger, *, messages: Optional[int], seconds: Optional[float],
        stop: Callable[[], bool] = lambda: False, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> Summary:
    """Logs telemetry until ``messages`` records were logged, ``seconds`` passed or ``stop()``;
    after ``stop()``, what has already arrived is still logged (for at most ``DRAIN_SECONDS``)."""
    summary = Summary()
    deadline = None if seconds is None else time.monotonic() + seconds
    drain_until = None
    while messages is None or summary.logged < messages:
        if drain_until is None and stop():
            drain_until = time.monotonic() + DRAIN_SECONDS
        if drain_until is not None:
            if time.monotonic() > drain_until or not socket.poll(0):
                break
        else:
            wait = 0.1 if deadline is None else min(0.1, deadline - time.monotonic())
            if wait <= 0:
                break
            if not socket.poll(int(wait * 1000)):
                continue
        parts = receive_parts(socket)
        if len(parts) == 1 and parts[0][:1] == b"{":
            try:
                logger.set_layout(decode_layout(parts[0]))
            except TelemetryMessageError as error:
                summary.refused += 1
                print(f"live_view: refused telemetry message #{summary.logged + summary.refused}: {error}",
                      file=err, flush=True)
            continue
        try:
            record = decode_message(parts)
        except (wire.WireError, TelemetryMessageError) as error:
            summary.refused += 1
            print(f"live_view: refused telemetry message #{summary.logged + summary.refused}: {error}",
                  file=err, flush=True)
            continue
        if summary.logged == 0:
            print(f"first record: session {record.session} sequence {record.sequence}", file=out, flush=True)
        logger.log(record)
        summary.logged += 1
        summary.sessions.add(record.session)
    return summary


def port_is_free(port: int) -> bool:
    """Whether a TCP port can be bound on every interface (rerun's web server binds 0.0.0.0)."""
    import socket as sockets
    with sockets.socket(sockets.AF_INET, sockets.SOCK_STREAM) as probe:
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def parse_arguments(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pckit_client.live_view",
        description="Show the telemetry of `pcctl serve --telemetry ENDPOINT` in rerun's web viewer, "
                    "or save it as a .rrd file (open it with `rerun FILE.rrd`).")
    parser.add_argument("--telemetry", required=True, metavar="ENDPOINT",
                        help="the telemetry endpoint pcctl serve printed, e.g. tcp://127.0.0.1:5556")
    parser.add_argument("--web-port", type=int, metavar="N",
                        help="serve rerun's web viewer on http://127.0.0.1:N (data over gRPC on --grpc-port)")
    parser.add_argument("--grpc-port", type=int, default=9876, metavar="N",
                        help="port of the gRPC server the web viewer reads from (default 9876; with --web-port)")
    parser.add_argument("--save", metavar="FILE.rrd", help="also write everything to this rerun file")
    parser.add_argument("--messages", type=int, metavar="N", help="stop after logging N telemetry records")
    parser.add_argument("--seconds", type=float, metavar="S", help="stop after S seconds")
    args = parser.parse_args(argv)
    if args.web_port is None and args.save is None:
        parser.error("nothing to show the telemetry in: give --web-port N (live, in a browser) and/or --save FILE.rrd")
    for name in ("web_port", "grpc_port"):
        port = getattr(args, name)
        if port is not None and not 1 <= port <= 65535:
            parser.error(f"--{name.replace('_', '-')} {port} is not a TCP port: give 1…65535")
    if args.messages is not None and args.messages < 1:
        parser.error(f"--messages {args.messages} must be at least 1 (leave it out to run until Ctrl-C)")
    if args.seconds is not None and not (args.seconds > 0 and np.isfinite(args.seconds)):
        parser.error(f"--seconds {args.seconds} must be a finite number > 0 (leave it out to run until Ctrl-C)")
    if args.save is not None and not args.save.endswith(".rrd"):
        parser.error(f"--save {args.save!r}: rerun files end in .rrd")
    return args


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_arguments(argv)
    import rerun as rr

    if args.web_port is not None:
        for port, option in ((args.web_port, "--web-port"), (args.grpc_port, "--grpc-port")):
            if not port_is_free(port):
                print(f"live_view: port {port} ({option}) is in use on this machine: give another {option}",
                      file=sys.stderr)
                return 2
    try:
        socket = open_subscriber(args.telemetry)
    except ValueError as error:
        print(f"live_view: {error}", file=sys.stderr)
        return 2
    recording = rr.RecordingStream(APPLICATION_ID)
    sinks = []
    if args.save is not None:
        sinks.append(rr.FileSink(args.save))
    if args.web_port is not None:
        sinks.append(rr.GrpcServerSink("127.0.0.1", args.grpc_port))
    recording.set_sinks(*sinks)
    if args.web_port is not None:
        rr.serve_web_viewer(web_port=args.web_port, open_browser=False, connect_to=sinks[-1].uri)
        print(f"web viewer: http://127.0.0.1:{args.web_port}/?url={urllib.parse.quote(sinks[-1].uri, safe='')}",
              flush=True)

    stopping = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.append(True))
    print(f"subscribed to {args.telemetry}", flush=True)
    summary = run(socket, RerunLogger(recording), messages=args.messages, seconds=args.seconds,
                  stop=lambda: bool(stopping))
    socket.close(linger=0)
    print(f"logged {summary.logged} records from {len(summary.sessions)} session(s), "
          f"refused {summary.refused}", flush=True)
    if args.web_port is not None and not stopping and (args.messages is not None or args.seconds is not None):
        print("still serving the web viewer: Ctrl-C to quit", flush=True)
        while not stopping:
            time.sleep(0.2)
    recording.flush()
    recording.disconnect()
    return 0


if __name__ == "__main__":
    sys.exit(main())
