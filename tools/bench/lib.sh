# SPDX-License-Identifier: GPL-2.0-only
# Shared by the benchmarks in tools/bench: statistics, figure JSON, process
# accounting. Source it; do not run it. Benchmarks print one JSON object on
# stdout (see render.py) and their progress on stderr.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$BENCH_ROOT/$BUILD
LATGOV=${LATGOV:-$BENCH_ROOT/latgov}
BENCH_SMOKE=${BENCH_SMOKE:-0}
source "$BENCH_ROOT/tests/integration/lib_nginx.sh"

log() { echo "[$(date +%T)] $*" >&2; }

# figure LABEL UNIT GOAL CMP GOALVAL NOTE VALUES...: one figure's JSON (median,
# range). CMP is le/ge/eq/none: how the median is judged against GOALVAL.
figure() {
	local label=$1 unit=$2 goal=$3 cmp=$4 goalval=$5 note=$6
	shift 6
	python3 - "$label" "$unit" "$goal" "$cmp" "$goalval" "$note" "$@" <<'PY'
import json, random, statistics, sys
label, unit, goal, cmp, goalval, note = sys.argv[1:7]
vals = [float(v) for v in sys.argv[7:] if v not in ("", "nan")]
fig = {"label": label, "unit": unit, "runs": len(vals), "goal": goal or None, "note": note or None}
if vals:
    fig.update(median=statistics.median(vals), min=min(vals), max=max(vals))
    if len(vals) >= 8:
        # How far the median itself may be off on a noisy machine: the 5th and
        # 95th percentiles of the medians of 2000 resamples (bootstrap; fixed
        # seed, so the same runs give the same interval).
        rng = random.Random(1)
        meds = sorted(statistics.median(rng.choices(vals, k=len(vals))) for _ in range(2000))
        fig["ci90"] = [meds[100], meds[1899]]
    g = float(goalval) if goalval else None
    fig["goal_met"] = None if cmp == "none" or g is None else {
        "le": fig["median"] <= g, "ge": fig["median"] >= g, "eq": fig["median"] == g}[cmp]
else:
    fig.update(median=None, min=None, max=None, goal_met=False if goal else None)
print(json.dumps(fig))
PY
}

# bench_json NAME TITLE FIGURE-JSON...: the object a benchmark prints.
bench_json() {
	local name=$1 title=$2
	shift 2
	python3 -c 'import json,sys; print(json.dumps({"name":sys.argv[1],"title":sys.argv[2],"figures":[json.loads(f) for f in sys.argv[3:]]}))' \
		"$name" "$title" "$@"
}

# CPU seconds (user+system) a process has used so far.
cpu_seconds() {
	awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat" 2>/dev/null || echo 0
}

# Peak resident memory of a process, in MiB.
rss_peak_mib() {
	awk '/^VmHWM:/ {printf "%.1f\n", $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo 0
}

# Number of BPF links attached now: to wait until a tracer has attached.
bpf_links() { bpftool link list 2>/dev/null | grep -c '^[0-9]*:' ; }

# wait_links_above N [SECONDS]: until more than N links exist.
wait_links_above() {
	local base=$1 limit=${2:-15} i
	for ((i = 0; i < limit * 20; i++)); do
		(($(bpf_links) > base)) && return 0
		sleep 0.05
	done
	return 1
}

# 1 if perf can count hardware instructions here (some VMs hide the PMU).
have_instructions() {
	perf stat -e instructions -x, -- true 2>&1 | grep -q '^[0-9][0-9]*,,*instructions'
}

# Busy CPU time of the whole machine so far, in ns (all but idle and iowait,
# from /proc/stat): the system-wide cost when hardware counters are missing.
busy_ns() {
	awk -v hz="$(getconf CLK_TCK)" '/^cpu / {print ($2 + $3 + $4 + $7 + $8 + $9) * 1e9 / hz; exit}' /proc/stat
}

# CPU time of one process so far, in ns.
proc_cpu_ns() {
	awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) * 1e9 / hz}' "/proc/$1/stat" 2>/dev/null || echo 0
}
