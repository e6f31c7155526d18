"""Fixtures: a real ``pcctl serve`` (or broker) process on a unique ipc:// endpoint, always stopped.

The package is imported from the source tree (this file puts Interfaces/python on sys.path), so
no install is needed; ``pip install -e Interfaces/python`` works too. The pcctl binary is taken
from $PCCTL, else .build/debug/pcctl, else .build/release/pcctl (build it first).
"""
import os
import pathlib
import signal
import subprocess
import sys
import uuid

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "Interfaces" / "python"))

GOLDEN = ROOT / "Interfaces" / "protocol" / "golden"


def pcctl_path() -> str:
    candidates = [os.environ.get("PCCTL"), ROOT / ".build" / "debug" / "pcctl", ROOT / ".build" / "release" / "pcctl"]
    for c in candidates:
        if c and pathlib.Path(c).is_file():
            return str(c)
    raise RuntimeError("pcctl not found: run `swift build --product pcctl` (or set $PCCTL)")


_IPC_FILES = []


def pcctl_output(*args) -> str:
    """Runs a pcctl command that exits (e.g. keygen) and returns its standard output."""
    result = subprocess.run([pcctl_path(), *args], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise RuntimeError(f"pcctl {' '.join(args)} failed: {result.stderr}")
    return result.stdout


def unique_ipc(tag: str) -> str:
    path = f"/tmp/pckit-py-{tag}-{os.getpid()}-{uuid.uuid4().hex[:12]}.sock"
    _IPC_FILES.append(path)
    return "ipc://" + path


@pytest.fixture(autouse=True, scope="session")
def remove_ipc_files():
    """A server killed with SIGKILL cannot remove its ipc file; remove every file these tests named."""
    yield
    for path in _IPC_FILES:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


class Process:
    """A pcctl child process; reads its announced endpoints; stop() is idempotent."""

    def __init__(self, args, expect_lines: int):
        self.args = [pcctl_path()] + list(args)
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = [self.proc.stdout.readline().strip() for _ in range(expect_lines)]
        if self.proc.poll() is not None or not all(self.lines):
            err = self.proc.stderr.read()
            raise RuntimeError(f"{self.args} failed to start: {self.lines} {err}")

    def value(self, key: str) -> str:
        return next(line.split(" ", 1)[1] for line in self.lines if line.startswith(key + " "))

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            stream.close()


@pytest.fixture
def start_server():
    """start_server(*extra_args, endpoint=None) -> (Process, endpoint); all are stopped at teardown."""
    started = []

    def start(*extra, endpoint=None, lines=1):
        endpoint = endpoint or unique_ipc("srv")
        process = Process(["serve", "--bind", endpoint, *extra], expect_lines=lines)
        started.append(process)
        return process, endpoint

    yield start
    for p in started:
        p.stop()


@pytest.fixture
def start_process():
    """start_process(args, lines) -> Process; all are stopped at teardown."""
    started = []

    def start(args, lines):
        process = Process(args, expect_lines=lines)
        started.append(process)
        return process

    yield start
    for p in started:
        p.stop()
