"""``tradesim profile --format csv``: the JSON's results, one line per band, as other commands' CSV."""

from __future__ import annotations

import csv
import io
import json
import subprocess

ARGS = ["tradesim", "profile", "--returns", "0.04,0.07,0.11", "--betas", "0.6,1.0,1.5", "--bands", "0.6:0.8,2:3"]


def test_csv_carries_the_json_results() -> None:
    as_json = json.loads(subprocess.run([*ARGS, "--format", "json"], capture_output=True, text=True, check=True).stdout)
    done = subprocess.run([*ARGS, "--format", "csv"], capture_output=True, text=True, check=True)
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    feasible, infeasible = as_json["results"]
    assert rows[0] == {"band_low": "0.6", "band_high": "0.8", "migration": "false", "feasible": "true",
                       "expected_return": repr(feasible["expected_return"]), "beta": repr(feasible["beta"]),
                       "volatility": "", **{f"weight_{n}": repr(w) for n, w in
                                             zip(("low", "medium", "high"), feasible["weights"])}}
    assert "infeasible" in infeasible
    assert rows[1] == {"band_low": "2.0", "band_high": "3.0", "migration": "false", "feasible": "false",
                       "expected_return": "", "beta": "", "volatility": "",
                       "weight_low": "", "weight_medium": "", "weight_high": ""}
