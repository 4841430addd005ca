#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# make bench-smoke: every benchmark still runs at its smallest size and writes
# well-formed results. It asserts no timing: the figures are not judged here.
source "$(dirname "$0")/lib.sh"
need_root
command -v wrk >/dev/null || skip_all "wrk is missing (make deps installs it)"

out=$(mktemp -d)
on_exit "rm -rf '$out'"
if BENCH_SMOKE=1 bash "$LATGOV_ROOT/tools/bench/run.sh" --smoke --out "$out" >"$out/log" 2>&1; then
	ok "bench --smoke runs every benchmark"
else
	not_ok "bench --smoke runs every benchmark" "$(tail -20 "$out/log")"
fi
check "results.md has the table" grep -q '^| benchmark | figure | median | range | runs | goal | met |$' "$out/results.md"
if python3 - "$out/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["machine"]["cores"] and r["commit"] and r["date"], "machine, commit and date recorded"
names = [b["name"] for b in r["benchmarks"]]
assert names, "no benchmark results"
for b in r["benchmarks"]:
    for f in b["figures"]:
        assert {"label", "unit", "median", "min", "max", "runs"} <= f.keys(), f
        # Every configuration must have produced at least one measurement.
        assert f["runs"] >= 1, f"{b['name']}: '{f['label']}' has no measurement"
        assert f["min"] <= f["median"] <= f["max"], f
PY
then
	ok "results.json is well formed, every figure measured at least once"
else
	not_ok "results.json is well formed, every figure measured at least once"
fi
