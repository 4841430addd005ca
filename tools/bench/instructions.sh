#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Instructions per request, counted exactly by an emulator: where perf cannot
# count instructions (this machine's VM hides the PMU), a guest with one vCPU
# under qemu's "-icount shift=0" executes one instruction per nanosecond of
# its own clock, so the guest's CPU time is an instruction count.
# tools/vmtest/guest_instructions.sh measures inside it, on Debian's 6.18
# kernel from trixie-backports (the development machine's series, so the same
# hooks load; tools/vmtest/kernel.sh fetches it): nginx (1 worker,
# tiny file) and the demo inference service under a closed-loop loadgen,
# with no tracer, 'latgov trace', 'latgov trace --flame' (99 Hz + off-CPU)
# and, on nginx, the bpftrace anchor. Figures: instructions per request
# system-wide (every task and the kernel: server, client, tracer) and in the
# server alone, and the share each tracer adds, as medians of per-round ratios.
#
# What differs from the host: one CPU instead of two (so more context
# switches per request: the scheduler hooks of --flame run more often),
# Debian's build of 6.18 instead of this machine's, qemu's "max" CPU model.
#
#   tools/bench/instructions.sh        (BENCH_SMOKE=1: one short round on nginx)
#   INSTRUCTIONS_TIMEOUT=S: how long the VM may run (1800 s; alone it took 6 min,
#   inside one make bench over 600 s: the emulator shares the host's CPU)
set -uo pipefail
source "$(dirname "$0")/lib.sh"

args=
((BENCH_SMOKE)) && args=" --smoke"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

log "booting the instruction-counting VM (Linux 6.18, qemu TCG with icount)"
VMTEST_KERNEL=6.18 VMTEST_ICOUNT=1 VMTEST_TIMEOUT=${INSTRUCTIONS_TIMEOUT:-1800} \
	VMTEST_CMD="bash tools/vmtest/guest_instructions.sh$args" \
	bash "$BENCH_ROOT/tools/vmtest/run.sh" >"$out" 2>&1
rc=$?
if grep -q '# SKIP' "$out"; then
	log "no VM here: $(sed -n 's/.*# SKIP //p' "$out")"
	exit 1
fi
grep -v '^{' "$out" | sed 's/^/  guest: /' >&2
((rc == 0)) || { log "the VM run failed (status $rc)"; exit 1; }

python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
figs = []
def fig(label, unit, vals, goal=None, met=None, note=None):
    f = {"label": label, "unit": unit, "runs": len(vals), "goal": goal, "note": note}
    if vals:
        f.update(median=statistics.median(vals), min=min(vals), max=max(vals))
        f["goal_met"] = met(f["median"]) if met else None
    else:
        f.update(median=None, min=None, max=None, goal_met=False if goal else None)
    figs.append(f)
by = {}
for r in rows:
    by.setdefault((r["target"], r["config"]), {})[r["round"]] = r
names = {"latgov": "latgov trace", "flame": "latgov trace --flame (99 Hz + off-CPU)",
         "bpftrace": "bpftrace anchor (2 syscall tracepoints)"}
note = ("counted by qemu -icount (1 instruction = 1 ns of guest time) on one vCPU, Linux 6.18; "
        "per request = (run of LARGE - run of SMALL requests) / (LARGE - SMALL)")
for target, title in (("nginx", "nginx"), ("redis", "redis GET (redis-benchmark)"),
                      ("demo", "demo-infer POST /v1/infer")):
    base = by.get((target, "base"), {})
    if not base:
        continue
    fig(f"{title}: instructions/request, system-wide, no tracer", "instr",
        [r["all"] for r in base.values()], note=note)
    fig(f"{title}: instructions/request, server alone, no tracer", "instr",
        [r["target_only"] for r in base.values()])
    def ratios(cfg, key, ref="base"):
        rows, refs = by.get((target, cfg), {}), by.get((target, ref), {})
        return [(rows[k][key] / refs[k][key] - 1) * 100 for k in rows if k in refs and refs[k][key] > 0]
    for cfg in ("latgov", "flame", "bpftrace"):
        if (target, cfg) not in by:
            continue
        goal, met = None, None
        if target == "nginx" and cfg == "latgov":
            goal, met = "≤ +4%", lambda m: m <= 4
        fig(f"{title}, {names[cfg]}: instructions/request, system-wide", "% added",
            ratios(cfg, "all"), goal, met)
        fig(f"{title}, {names[cfg]}: instructions/request, server alone", "% added",
            ratios(cfg, "target_only"))
    if (target, "flame") in by and (target, "latgov") in by:
        goal, met = ("≤ +3%", lambda m: m <= 3) if target == "nginx" else (None, None)
        fig(f"{title}: --flame on top of tracing, system-wide", "% added",
            ratios("flame", "all", "latgov"), goal, met)
print(json.dumps({"name": "instructions", "title": "Instructions per request (emulator-counted)",
                  "figures": figs}))
PY
