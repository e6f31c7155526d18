# A recorded session in one line of numpy: `pcctl run pendulum --episodes 3 --record s.mcap`, then
# `pcctl export s.mcap --format npz`, then `python load_session.py s.npz`.
import sys

import numpy as np

session = np.load(sys.argv[1] if len(sys.argv) > 1 else "s.npz")  # one array per channel field
actions, free_energy, seeds = session["action.values"], session["diagnostics.freeEnergy"], session["episode.seed"]
print("steps", len(actions), "episodes", len(seeds), "mean|u|", float(np.abs(actions).mean()),
      "median_free_energy", float(np.nanmedian(free_energy)), "plan", session["beliefs.plannedControls"].shape[1])
