"""pcctl train --architecture mupc --layer-report against an exact fact of local inference: one
inference step moves activity one node further from the clamped output, so after T steps only the
T + 1 weight layers nearest the output can have a non-zero IL gradient; every layer below is
unchanged by training, bit for bit."""
import json
import subprocess

import pytest

from test_train_tables import pcctl


@pytest.mark.parametrize("steps", [4, 8])
def test_only_the_top_t_plus_one_layers_get_a_gradient(steps):
    depth = 30
    result = subprocess.run([pcctl(), "train", "digits", "--architecture", "mupc", "--depth", str(depth), "--width", "16",
                             "--steps", str(steps), "--step-size", "0.2", "--learning-rate", "0.1", "--batch-size", "16",
                             "--epochs", "1", "--seed", "0", "--layer-report", "--json"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    layers = json.loads(result.stdout)["runs"][0]["layers"]
    assert [l["layer"] for l in layers] == list(range(1, depth + 2))
    top = depth + 1
    for l in layers:
        reachable = l["layer"] >= top - steps
        assert (l["gradientNormBefore"] > 0) == reachable, l
        assert (l["relativeChange"] > 0) == reachable, l
