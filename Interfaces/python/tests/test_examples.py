"""The shipped examples run against a real server and do what they say."""
import os
import pathlib
import subprocess
import sys

from conftest import ROOT

PYTHON_DIR = ROOT / "Interfaces" / "python"


def run(script, *args, env_extra=None):
    env = dict(os.environ, PYTHONPATH=str(PYTHON_DIR), **(env_extra or {}))
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=60, env=env)


def test_watchdog_robot_swings_up_without_holding(start_server):
    _, endpoint = start_server()
    result = run(PYTHON_DIR / "examples" / "watchdog_robot.py", "--endpoint", endpoint, "--seconds", "3")
    assert result.returncode == 0, result.stderr
    steps, held, upright = result.stdout.split()[1], result.stdout.split()[3], result.stdout.split()[5]
    assert steps == "150" and int(held) <= 3 and upright == "True", result.stdout


def test_ten_line_example(start_server):
    _, endpoint = start_server()
    script = ROOT / "Examples" / "python" / "connect_robot.py"
    assert len([l for l in script.read_text().splitlines() if l.strip() and not l.startswith("#")]) <= 10
    result = run(script, env_extra={"PCKIT_ENDPOINT": endpoint})
    assert result.returncode == 0, result.stderr
    assert float(result.stdout.split()[-1]) > -0.1, result.stdout  # upright at the end: reward near 0
