"""A short version of the load test (the full one: pcctl load --robots 32 --rate 200 --seconds 60):
separate robot processes against one server, no lost, duplicated or misordered replies."""
import json
import subprocess

from conftest import pcctl_path


def test_short_load_run_loses_nothing():
    result = subprocess.run([pcctl_path(), "load", "--robots", "8", "--rate", "200", "--seconds", "2", "--json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    details = json.loads(result.stdout)["results"][0]["details"]
    assert details["sent"] == 8 * 400 and details["received"] == details["sent"]
    assert details["lost"] == details["duplicated"] == details["misordered"] == details["errors"] == 0
    assert details["failed_processes"] == 0 and details["server_steps"] == details["sent"]
