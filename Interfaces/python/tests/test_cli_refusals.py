"""`pcctl run` never substitutes: a task without an agent needs an explicit --policy, an agent a
task cannot use is refused with the agents it can use, and a typo'd config key is refused by name
with the closest known key."""
import json
import os
import subprocess

import pytest

from conftest import ROOT, pcctl_path


def run(*args):
    return subprocess.run([pcctl_path(), "run", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("task", ["acrobot", "cartpole", "arm3"])
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


@pytest.mark.parametrize("task, agent, usable", [("pendulum", "hierarchy", "predictive, learned"),
                                                 ("cartpole-swingup", "reflex", "predictive, learned"),
                                                 ("reacher", "efe", "predictive, learned"),
                                                 ("mountaincar", "learnd", "predictive, learned"),
                                                 ("inverted-pendulum", "aic", "predictive, learned"),
                                                 ("acrobot-continuous", "hierarchy", "predictive, learned"),
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


def test_physical_parameters_are_validated_by_name_and_range():
    result = run("pendulum", "--param", "mas=1.3")
    assert result.returncode != 0 and "did you mean `mass`" in result.stderr, result.stderr
    result = run("pendulum", "--param", "mass=1000")
    assert result.returncode != 0 and "0.01…100.0 kg" in result.stderr, result.stderr
    result = run("pendulum", "--param", "mass")
    assert result.returncode != 0 and "expected name=value" in result.stderr, result.stderr
    result = run("mountaincar", "--param", "mass=1")
    assert result.returncode != 0 and "no settable parameters" in result.stderr, result.stderr
    result = run("cartpole-swingup", "--param", "poleMas=0.2")
    assert result.returncode != 0 and "did you mean `poleMass`" in result.stderr, result.stderr
    result = run("inverted-pendulum", "--param", "gravity=-1")
    assert result.returncode != 0 and "0.0…100.0 m/s²" in result.stderr, result.stderr


def test_a_learning_config_for_another_robot_is_refused():
    config = ROOT / "Examples" / "configs" / "pendulum-learning.json"
    result = run("mountaincar", "--agent", str(config), "--episodes", "1")
    assert result.returncode != 0 and "learning agent for another robot" in result.stderr, result.stderr


def test_a_typo_in_a_nested_learning_config_is_refused_with_a_suggestion(tmp_path):
    config = json.loads((ROOT / "Examples" / "configs" / "mountaincar-learning.json").read_text())
    config["learning"]["planner"]["horizn"] = 5
    path = tmp_path / "typo.json"
    path.write_text(json.dumps(config))
    result = run("mountaincar", "--agent", str(path), "--episodes", "1")
    assert result.returncode != 0
    assert "horizn" in result.stderr and "did you mean `horizon`" in result.stderr, result.stderr


RELEASE = os.environ.get("PCKIT_TIMING_PCCTL") or pcctl_path()


@pytest.mark.parametrize("task", ["pendulum", "cartpole-swingup", "mountaincar", "inverted-pendulum", "reacher",
                                  "acrobot-continuous"])
def test_every_task_runs_the_learning_agent_within_its_budget_next_to_the_true_model(task):
    """A short interaction (300 environment steps) then one scored episode, with the true-model
    planner scored on the same start: the budget is spent exactly and both planners report."""
    result = subprocess.run([RELEASE, "run", task, "--agent", "learned", "--learning-steps", "300",
                             "--babbling-steps", "40", "--episodes", "1", "--json"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    extra = report["extra"]
    assert report["agent"] == "learned" and extra["learn.environmentSteps"] == 300, extra
    assert extra["learn.explorationSteps"] >= 40 and "reference.meanReturn" in extra, extra


def test_parameters_reach_the_environment_and_the_true_model_planner():
    """A heavier, longer pendulum scores differently from Pendulum-v1, and the true-model planner
    (which plans with the same parameters) still swings it up and balances it."""
    default = json.loads(run("pendulum", "--episodes", "2", "--json").stdout)["statistics"]
    heavy = run("pendulum", "--param", "mass=1.3", "--param", "length=1.2", "--episodes", "2", "--json")
    assert heavy.returncode == 0, heavy.stderr
    heavy = json.loads(heavy.stdout)["statistics"]
    assert heavy["meanReturn"] != default["meanReturn"]
    assert heavy["successRate"] == 1.0, heavy


def test_a_typo_in_a_serve_config_is_refused_with_a_suggestion(tmp_path):
    path = tmp_path / "serve.json"
    path.write_text(json.dumps({"idleTimout": 5}))
    result = subprocess.run([pcctl_path(), "serve", "--bind", f"ipc://{tmp_path}/s.sock", "--config", str(path)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "did you mean `idleTimeout`" in result.stderr, result.stderr


def test_a_planner_that_cannot_read_the_task_observation_is_refused(tmp_path):
    """A config whose observation layout does not match the task would only ever see invalid
    observations (and emit its safe action): refused, naming both sizes and the layout."""
    config = json.loads((ROOT / "Examples" / "configs" / "cartpole-swingup-predictive.json").read_text())
    config["predictiveController"]["observation"] = {"stateDimension": 4, "angleIndices": []}
    path = tmp_path / "state-layout.json"
    path.write_text(json.dumps(config))
    result = run("cartpole-swingup", "--agent", str(path), "--episodes", "1")
    assert result.returncode != 0 and "reads observations of 4 values" in result.stderr, result.stderr
    assert "(x, ẋ, cos θ, sin θ, θ̇)" in result.stderr, result.stderr
