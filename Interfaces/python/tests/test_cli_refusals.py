"""`pcctl run` never substitutes: a task without an agent needs an explicit --policy, an agent a
task cannot use is refused with the agents it can use, and a typo'd config key is refused by name
with the closest known key."""
import json
import subprocess

import pytest

from conftest import ROOT, pcctl_path


def run(*args):
    return subprocess.run([pcctl_path(), "run", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("task", ["mountaincar", "acrobot-continuous", "inverted-pendulum"])
def test_a_task_without_an_agent_needs_an_explicit_policy(task):
    result = run(task, "--episodes", "1")
    assert result.returncode != 0
    assert "has no PCKit agent" in result.stderr and "--policy random" in result.stderr, result.stderr
    result = run(task, "--agent", "predictive", "--episodes", "1")
    assert result.returncode != 0 and "tasks with agents: pendulum" in result.stderr, result.stderr


def test_an_explicit_policy_still_runs():
    result = run("acrobot", "--policy", "zero", "--episodes", "1", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["episodes"] == 1


@pytest.mark.parametrize("task, agent, usable", [("cartpole-swingup", "learned", "predictive"),
                                                 ("reacher", "learned", "predictive"),
                                                 ("kinematic-arm", "reflex", "hierarchy"),
                                                 ("arm-uaic", "predictive", "aic, unbiased")])
def test_an_agent_the_task_cannot_use_is_refused_with_the_usable_ones(task, agent, usable):
    result = run(task, "--agent", agent, "--episodes", "1")
    assert result.returncode != 0 and f"cannot use agent `{agent}`" in result.stderr and usable in result.stderr, result.stderr


def test_a_typo_in_a_config_is_refused_with_a_suggestion(tmp_path):
    config = json.loads((ROOT / "Examples" / "configs" / "pendulum-predictive.json").read_text())
    config["predictiveController"]["horizn"] = 5
    path = tmp_path / "typo.json"
    path.write_text(json.dumps(config))
    result = run("pendulum", "--agent", str(path), "--episodes", "1")
    assert result.returncode != 0
    assert "predictiveController.horizn" in result.stderr and "did you mean `horizon`" in result.stderr, result.stderr
