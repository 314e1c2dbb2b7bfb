#!/usr/bin/python3
"""Write ets_reference.json: R forecast::ets results for austourists (seasonal, m = 4) and
oildata, as Debian's python3-statsmodels ships them (tsa/tests/results/fit_ets_results_*.json,
made with R's forecast package), with the two series from statsmodels' test module.
Run: /usr/bin/python3 test/unit/data/make_ets_reference.py"""
import json
import pathlib
import re

import statsmodels

root = pathlib.Path(statsmodels.__file__).parent / "tsa" / "tests"
source = (root / "test_exponential_smoothing.py").read_text()


def series(name):
    body = re.search(r"def %s\(\):.*?data = \[(.*?)\]" % name, source, re.S).group(1)
    return [float(v) for v in re.findall(r"[-+0-9.eE]+", body)]


keep = ["alpha", "beta", "gamma", "phi", "initstate", "states", "residuals", "fitted",
        "sigma2", "loglik", "forecast"]
out = {}
for data, m, file in [("austourists", 4, "fit_ets_results_seasonal.json"),
                      ("oildata", 1, "fit_ets_results_nonseasonal.json")]:
    results = json.loads((root / "results" / file).read_text())
    models = {}
    for damped, group in results.items():
        for name, r in group.items():
            if not r:  # not fitted in R
                continue
            models[name + ("_damped" if damped == "TRUE" else "")] = {k: r[k] for k in keep}
    out[data] = {"m": m, "y": series(data), "models": models}
path = pathlib.Path(__file__).with_name("ets_reference.json")
path.write_text(json.dumps(out, indent=None, separators=(",", ":")) + "\n")
print(path, sum(len(v["models"]) for v in out.values()), "models")
