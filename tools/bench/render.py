#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Collects the benchmarks' JSON into tools/bench/results.json and results.md.

Each benchmark prints {"name": str, "title": str, "figures": [figure, ...]} where a
figure is {"label": str, "unit": str, "median": num, "min": num, "max": num,
"runs": int, "goal": str or null, "goal_met": bool or null, "note": str} and,
from 8 runs, "ci90": [low, high], a bootstrap 90% interval of the median.
"""
import argparse
import glob
import json
import os
import platform
import time


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release()}


def fmt(v):
    if v is None:
        return "–"
    if isinstance(v, float) and abs(v) < 100 and v != int(v):
        return f"{v:.3g}"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:g}"


def ci(fig):
    """The median's 90% interval, where the benchmark gave one (lib.sh's figure)."""
    c = fig.get("ci90")
    return f"; median's 90% CI {fmt(c[0])}–{fmt(c[1])}" if c else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--smoke", default="0")
    ap.add_argument("--seconds", type=int, default=0)
    ap.add_argument("--commit", default="unknown")
    a = ap.parse_args()

    benches = []
    for path in sorted(glob.glob(os.path.join(a.dir, "*.json"))):
        try:
            with open(path) as f:
                benches.append(json.load(f))
        except (OSError, ValueError):
            continue
    result = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": a.commit,
        "machine": machine(),
        "smoke": a.smoke == "1",
        "seconds": a.seconds,
        "benchmarks": benches,
    }
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")

    m = result["machine"]
    lines = [
        "# latgov benchmark results",
        "",
        f"Date {result['date']}, commit `{a.commit}`, {m['cpu']}, {m['cores']} cores, "
        f"kernel {m['kernel']}. Produced by `sudo make bench` in {a.seconds} s"
        + (" (smoke run: sizes too small to mean anything)" if result["smoke"] else "") + ".",
        "Each figure is the median over the runs, with the range (min–max) and, from 8 runs,",
        "a bootstrap 90% confidence interval of that median: how far noise may have moved it.",
        "",
        "| benchmark | figure | median | range | runs | goal | met |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for b in benches:
        for fig in b["figures"]:
            met = fig.get("goal_met")
            lines.append(
                f"| {b.get('title', b['name'])} | {fig['label']} | {fmt(fig.get('median'))} {fig.get('unit', '')} "
                f"| {fmt(fig.get('min'))}–{fmt(fig.get('max'))}{ci(fig)} | {fig.get('runs', '–')} "
                f"| {fig.get('goal') or '–'} | {'yes' if met else 'no' if met is False else '–'} |"
            )
    notes = [(b.get("title", b["name"]), f["label"], f["note"]) for b in benches for f in b["figures"] if f.get("note")]
    if notes:
        lines += ["", "Notes:", ""]
        lines += [f"- {t}, {l}: {n}" for t, l, n in notes]
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
