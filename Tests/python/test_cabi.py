"""libpckit through ctypes, in this process: the pendulum controlled through the C ABI scores the
returns of ``pcctl run pendulum --json`` to 1e-9 (initial states from Gymnasium itself, physics
re-implemented here in float64), every bad input returns a code and a message without harming the
process, and a learning agent's model saves and loads byte for byte.

The library is $PCKIT_LIBRARY, else .build/debug/libpckit.so (``swift build --product pckit``).
"""
import ctypes
import json
import math
import os
import pathlib
import subprocess

import gymnasium as gym
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
EPISODES = 3

PCKIT_OK, PCKIT_E_NULL_ARGUMENT, PCKIT_E_INVALID_HANDLE, PCKIT_E_SIZE, PCKIT_E_NON_FINITE = 0, 1, 2, 3, 4
PCKIT_E_JSON, PCKIT_E_CONFIG, PCKIT_E_UNKNOWN_AGENT, PCKIT_E_UNKNOWN_TASK, PCKIT_E_AGENT_REJECTED = 5, 6, 7, 8, 9
PCKIT_E_NOT_LEARNING, PCKIT_E_IO, PCKIT_E_MODEL_FILE, PCKIT_E_INVALID_ARGUMENT = 11, 12, 13, 14

PENDULUM = {"observationSpace": {"low": [-1, -1, -8], "high": [1, 1, 8]},
            "actionSpace": {"low": [-2], "high": [2]}, "controlPeriod": 0.05,
            "agent": {"agent": "predictiveController", "task": "pendulum"}}


class Diagnostics(ctypes.Structure):
    _fields_ = [("free_energy", ctypes.c_double), ("compute_time", ctypes.c_double), ("iterations", ctypes.c_uint32),
                ("converged", ctypes.c_uint8), ("warning", ctypes.c_uint8), ("deadline_exceeded", ctypes.c_uint8),
                ("out_of_bounds", ctypes.c_uint8)]


def pcctl_path() -> str:
    for candidate in [os.environ.get("PCCTL"), ROOT / ".build" / "debug" / "pcctl"]:
        if candidate and pathlib.Path(candidate).is_file():
            return str(candidate)
    raise RuntimeError("pcctl not found: run `swift build --product pcctl` (or set $PCCTL)")


@pytest.fixture(scope="module")
def lib():
    path = os.environ.get("PCKIT_LIBRARY") or str(ROOT / ".build" / "debug" / "libpckit.so")
    assert pathlib.Path(path).is_file(), f"{path} missing: run `swift build --product pckit`"
    lib = ctypes.CDLL(path)
    P, D = ctypes.c_void_p, ctypes.POINTER(ctypes.c_double)
    for name, restype, argtypes in [
        ("pckit_version", ctypes.c_char_p, []), ("pckit_protocol_version", ctypes.c_char_p, []),
        ("pckit_status_name", ctypes.c_char_p, [ctypes.c_int]), ("pckit_thread_error", ctypes.c_char_p, []),
        ("pckit_agent_create", ctypes.c_int, [ctypes.c_char_p, ctypes.POINTER(P)]),
        ("pckit_agent_destroy", ctypes.c_int, [P]), ("pckit_agent_last_error", ctypes.c_char_p, [P]),
        ("pckit_agent_dimensions", ctypes.c_int, [P, ctypes.POINTER(ctypes.c_size_t), ctypes.POINTER(ctypes.c_size_t)]),
        ("pckit_agent_reset", ctypes.c_int, [P, ctypes.c_uint64]),
        ("pckit_agent_set_step_budget", ctypes.c_int, [P, ctypes.c_double]),
        ("pckit_agent_step", ctypes.c_int, [P, D, ctypes.c_size_t, D, ctypes.c_size_t, ctypes.POINTER(Diagnostics)]),
        ("pckit_agent_learns_model", ctypes.c_int, [P, ctypes.POINTER(ctypes.c_int)]),
        ("pckit_agent_save_model", ctypes.c_int, [P, ctypes.c_char_p, ctypes.c_int]),
        ("pckit_agent_load_model", ctypes.c_int, [P, ctypes.c_char_p]),
    ]:
        function = getattr(lib, name)
        function.restype, function.argtypes = restype, argtypes
    return lib


def create(lib, config):
    """(status, handle or None, thread message)."""
    handle = ctypes.c_void_p(12345)
    text = config if isinstance(config, (bytes, type(None))) else json.dumps(config).encode()
    status = lib.pckit_agent_create(text, ctypes.byref(handle))
    return status, handle.value, lib.pckit_thread_error().decode()


def made(lib, config):
    status, handle, message = create(lib, config)
    assert status == PCKIT_OK, message
    return handle


def doubles(*values):
    return (ctypes.c_double * len(values))(*values)


def pendulum_step(angle, velocity, torque):
    """Gymnasium's Pendulum-v1 step in float64, operation for operation as PCKit's (and pendulum.py)."""
    u = min(max(torque, -2.0), 2.0)
    wrapped = math.fmod(angle + math.pi, 2 * math.pi)
    if wrapped < 0:
        wrapped += 2 * math.pi
    theta = wrapped - math.pi
    cost = theta * theta + 0.1 * (velocity * velocity) + 0.001 * (u * u)
    acceleration = 3 * 10.0 / (2 * 1.0) * math.sin(angle) + 3.0 / (1.0 * 1.0 * 1.0) * u
    velocity = min(max(velocity + acceleration * 0.05, -8.0), 8.0)
    return angle + velocity * 0.05, velocity, -cost


def test_versions(lib):
    assert lib.pckit_protocol_version() == b"1.1.0"
    header = (ROOT / "Interfaces" / "c" / "pckit.h").read_text()
    assert f'#define PCKIT_VERSION "{lib.pckit_version().decode()}"' in header
    result = subprocess.run([pcctl_path(), "--version"], capture_output=True, text=True, timeout=30)
    # `pcctl --version` prints the version, then the kernel path in parentheses.
    assert result.stdout.split()[0] == lib.pckit_version().decode(), result.stdout


def test_pendulum_through_the_c_abi_scores_pcctl_runs_returns(lib):
    result = subprocess.run([pcctl_path(), "run", "pendulum", "--episodes", str(EPISODES), "--json"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    reference = json.loads(result.stdout)["returns"]
    env = gym.make("Pendulum-v1")
    agent = made(lib, PENDULUM)
    observation, action, diagnostics = doubles(0, 0, 0), doubles(0), Diagnostics()
    returns = []
    for seed in range(EPISODES):
        env.reset(seed=seed)
        angle, velocity = (float(x) for x in env.unwrapped.state)  # Gymnasium's own start, float64
        assert lib.pckit_agent_reset(agent, seed) == PCKIT_OK
        total = 0.0
        for _ in range(200):
            observation[0], observation[1], observation[2] = math.cos(angle), math.sin(angle), velocity
            status = lib.pckit_agent_step(agent, observation, 3, action, 1, ctypes.byref(diagnostics))
            assert status == PCKIT_OK, lib.pckit_agent_last_error(agent)
            angle, velocity, reward = pendulum_step(angle, velocity, action[0])
            total += reward
        returns.append(total)
    assert lib.pckit_agent_destroy(agent) == PCKIT_OK
    env.close()
    print(f"\nC ABI returns {returns}\npcctl run      {reference}")
    assert all(abs(a - b) <= 1e-9 for a, b in zip(returns, reference)) and len(returns) == len(reference)
    assert min(returns) > -400  # swung up (zero torque scores about -1180)


@pytest.mark.parametrize("config, code, words", [
    (None, PCKIT_E_NULL_ARGUMENT, "config_json is NULL"),
    (b"{not json", PCKIT_E_JSON, "not valid JSON"),
    (b"\xff\xfe", PCKIT_E_JSON, "not valid JSON"),
    (b"42", PCKIT_E_CONFIG, "must be a JSON object"),
    ({**PENDULUM, "controlPeriode": 0.05}, PCKIT_E_CONFIG, "unknown key `controlPeriode` in the configuration: did you mean `controlPeriod`?"),
    ({**PENDULUM, "actionSpace": {"low": [2], "high": [-2]}}, PCKIT_E_CONFIG, "actionSpace bound 0: low 2.0 and high -2.0 are not an interval"),
    ({**PENDULUM, "actionSpace": {"low": [], "high": []}}, PCKIT_E_CONFIG, "actionSpace dimension 0 outside 1…4096"),
    ({**PENDULUM, "actionSpace": {"low": [-2], "high": [2], "unit": "Nm"}}, PCKIT_E_CONFIG, "unknown key `unit` in actionSpace"),
    ({**PENDULUM, "agent": "pendulum"}, PCKIT_E_CONFIG, "agent must be an object"),
    ({**PENDULUM, "agent": {"agent": "wizard"}}, PCKIT_E_UNKNOWN_AGENT, 'unknown agent "wizard"'),
    ({**PENDULUM, "agent": {"agent": "predictiveController", "task": "moon"}}, PCKIT_E_UNKNOWN_TASK, 'task "moon"'),
    ({**PENDULUM, "agent": {}}, PCKIT_E_AGENT_REJECTED, "agent configuration names no agent"),
    ({**PENDULUM, "agent": {"agent": "predictiveController", "task": "pendulum", "predictiveController": {"horizn": 3}}},
     PCKIT_E_AGENT_REJECTED, "horizn"),
])
def test_every_bad_configuration_gets_a_code_and_a_message(lib, config, code, words):
    status, handle, message = create(lib, config)
    assert (status, handle) == (code, None), message
    assert words in message, message


def test_every_bad_call_gets_a_code_and_a_message_and_the_agent_survives(lib):
    agent = made(lib, PENDULUM)
    error = lambda: lib.pckit_agent_last_error(agent).decode()
    action, diagnostics = doubles(7.0), Diagnostics()
    cases = [
        (lambda: lib.pckit_agent_step(None, doubles(1, 0, 0), 3, action, 1, None), PCKIT_E_NULL_ARGUMENT,
         lambda: lib.pckit_thread_error().decode(), "agent is NULL"),
        (lambda: lib.pckit_agent_step(agent, None, 3, action, 1, None), PCKIT_E_NULL_ARGUMENT, error, "observation is NULL"),
        (lambda: lib.pckit_agent_step(agent, doubles(1, 0, 0), 3, None, 1, None), PCKIT_E_NULL_ARGUMENT, error, "action is NULL"),
        (lambda: lib.pckit_agent_step(agent, doubles(1, 0), 2, action, 1, None), PCKIT_E_SIZE, error, "n is 2"),
        (lambda: lib.pckit_agent_step(agent, doubles(1, 0, 0), 3, doubles(0, 0), 2, None), PCKIT_E_SIZE, error, "m is 2"),
        (lambda: lib.pckit_agent_step(agent, doubles(1, math.nan, 0), 3, action, 1, None), PCKIT_E_NON_FINITE, error,
         "observation[1] is nan"),
        (lambda: lib.pckit_agent_step(agent, doubles(1, 0, math.inf), 3, action, 1, None), PCKIT_E_NON_FINITE, error,
         "observation[2] is inf"),
        (lambda: lib.pckit_agent_set_step_budget(agent, math.inf), PCKIT_E_INVALID_ARGUMENT, error, "seconds is inf"),
        (lambda: lib.pckit_agent_dimensions(agent, None, None), PCKIT_E_NULL_ARGUMENT, error, "n is NULL"),
        (lambda: lib.pckit_agent_save_model(agent, b"/tmp/x.model", 0), PCKIT_E_NOT_LEARNING, error, "learns no model"),
        (lambda: lib.pckit_agent_load_model(agent, b"/tmp/x.model"), PCKIT_E_NOT_LEARNING, error, "learns no model"),
        (lambda: lib.pckit_agent_load_model(agent, None), PCKIT_E_NULL_ARGUMENT, error, "path is NULL"),
        (lambda: lib.pckit_agent_save_model(agent, b"", 0), PCKIT_E_INVALID_ARGUMENT, error, "path is empty"),
        (lambda: lib.pckit_agent_save_model(agent, b"x" * 5000, 0), PCKIT_E_INVALID_ARGUMENT, error, "longer than 4096 bytes"),
    ]
    for call, code, message, words in cases:
        status = call()
        assert status == code and words in message(), (lib.pckit_status_name(status), message(), words)
    assert action[0] == 7.0  # no refused step wrote an action
    n, m = ctypes.c_size_t(), ctypes.c_size_t()
    assert lib.pckit_agent_dimensions(agent, ctypes.byref(n), ctypes.byref(m)) == PCKIT_OK and (n.value, m.value) == (3, 1)
    assert lib.pckit_agent_step(agent, doubles(-1, 0, 0), 3, action, 1, ctypes.byref(diagnostics)) == PCKIT_OK
    assert error() == "" and -2 <= action[0] <= 2 and math.isfinite(diagnostics.free_energy)
    assert lib.pckit_agent_destroy(agent) == PCKIT_OK
    assert lib.pckit_agent_destroy(agent) == PCKIT_E_INVALID_HANDLE
    assert "is not a live agent" in lib.pckit_thread_error().decode()
    assert lib.pckit_agent_reset(agent, 0) == PCKIT_E_INVALID_HANDLE


def learning_config(exploration_steps):
    agent = json.loads((ROOT / "Examples" / "configs" / "pendulum-state-learning.json").read_text())
    agent["learning"]["explorationSteps"] = exploration_steps
    return {"observationSpace": {"low": [None, -8], "high": [None, 8]}, "actionSpace": {"low": [-2], "high": [2]},
            "controlPeriod": 0.05, "agent": agent}


def model_parts(data):
    """A model file as (header, options, rest): the options JSON parsed, because the encoder may
    order an object's keys differently from one save to the next; the trailing checksum (which
    covers those bytes) left out. Layout: magic, u32 version, u32 memory flag, u64 length, JSON,
    network, standardisation, counters, memory, u64 checksum."""
    length = int.from_bytes(data[12:20], "little")
    return data[:12], json.loads(data[20:20 + length]), data[20 + length:-8]


def test_a_learning_agents_model_saves_and_loads(lib, tmp_path):
    """A learning agent explores the pendulum, saves its model (with its memory); a fresh agent
    loads it and saves the same model; corrupt, truncated, missing and mismatched files are refused
    by code, naming what is wrong, and leave the agent as it was."""
    config = learning_config(200)
    learner = made(lib, config)
    learns = ctypes.c_int(-1)
    assert lib.pckit_agent_learns_model(learner, ctypes.byref(learns)) == PCKIT_OK and learns.value == 1
    first = tmp_path / "first.model"
    assert lib.pckit_agent_save_model(learner, str(first).encode(), 1) == PCKIT_E_MODEL_FILE  # nothing learned yet
    assert "nothing to save" in lib.pckit_agent_last_error(learner).decode()
    angle, velocity = math.pi, 0.0
    observation, action = doubles(0, 0), doubles(0)
    saved = False
    for step in range(2000):
        observation[0], observation[1] = angle, velocity
        assert lib.pckit_agent_step(learner, observation, 2, action, 1, None) == PCKIT_OK, lib.pckit_agent_last_error(learner)
        angle, velocity, _ = pendulum_step(angle, velocity, action[0])
        if step >= 200 and step % 50 == 0 and lib.pckit_agent_save_model(learner, str(first).encode(), 1) == PCKIT_OK:
            saved = True
            break
    assert saved, lib.pckit_agent_last_error(learner)
    fresh = made(lib, config)
    assert lib.pckit_agent_load_model(fresh, str(first).encode()) == PCKIT_OK, lib.pckit_agent_last_error(fresh)
    second = tmp_path / "second.model"
    assert lib.pckit_agent_save_model(fresh, str(second).encode(), 1) == PCKIT_OK, lib.pckit_agent_last_error(fresh)
    assert model_parts(first.read_bytes()) == model_parts(second.read_bytes())
    assert not list(tmp_path.glob("*.tmp.*"))  # the atomic write left no temporary file

    good = first.read_bytes()
    corrupt = tmp_path / "corrupt.model"
    corrupt.write_bytes(good[:100] + bytes([good[100] ^ 0xFF]) + good[101:])
    truncated = tmp_path / "truncated.model"
    truncated.write_bytes(good[: len(good) // 2])
    for path, code, words in [(corrupt, PCKIT_E_MODEL_FILE, "checksum"), (truncated, PCKIT_E_MODEL_FILE, "truncated"),
                              (tmp_path / "missing.model", PCKIT_E_IO, "No such file"),
                              (tmp_path, PCKIT_E_IO, "is not a regular file")]:
        status = lib.pckit_agent_load_model(fresh, str(path).encode())
        message = lib.pckit_agent_last_error(fresh).decode()
        assert status == code and words.lower() in message.lower(), (path, lib.pckit_status_name(status), message)
    assert lib.pckit_agent_save_model(fresh, str(tmp_path / "no" / "such" / "dir.model").encode(), 0) == PCKIT_E_IO
    assert lib.pckit_agent_save_model(fresh, str(second).encode(), 2) == PCKIT_E_INVALID_ARGUMENT
    # Still the loaded model: it saves the same bytes.
    assert lib.pckit_agent_save_model(fresh, str(second).encode(), 1) == PCKIT_OK
    assert model_parts(second.read_bytes()) == model_parts(good)
    for handle in (learner, fresh):
        assert lib.pckit_agent_destroy(handle) == PCKIT_OK
