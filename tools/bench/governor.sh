#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The governor against static allocation and an HPA-like rule: the demo
# inference service (demo-infer) in a cgroup of its own (v1 cpu, cpuacct and
# memory), under a stepped open-loop load (low, high, low on POST /v1/infer),
# in four configurations, one run each:
#   static-peak  a fixed quota sized for the high step,
#   static-avg   a fixed quota sized for the schedule's average load,
#   governor     latgov govern --cgroup CG --policy policies/slo-p99.yaml,
#   hpa          tools/bench/hpa.py: the Kubernetes HPA rule on utilisation.
# Sizing: a calibration run at the high rate with no limit measures the cores the
# high step uses (cpuacct.usage delta); "peak" is that / 0.7 and "average" is the
# schedule's mean rate × the same CPU per request / 0.7 (both at the 70 %
# utilisation the HPA aims at). The governor and the HPA start at the average.
# Per run: SLO attainment (share of 1 s loadgen windows with requests whose
# client p99 ≤ the policy's target and errors ≤ 1 %), core-seconds allocated (the
# quota sampled 5×/s, integrated over the load) and the reaction time after the
# step (start of the first run of 3 windows meeting the SLO).
#
#   tools/bench/governor.sh     (BENCH_SMOKE=1: 3 s schedule, ~20 s in all)
#   GOV_LOW=RPS GOV_HIGH=RPS GOV_LOW_S=S GOV_HIGH_S=S GOV_RUNS=N to change the size;
#   GOV_CONFIGS="governor hpa" to run some configurations only; GOV_OUT=DIR keeps
#   the raw files (loadgen windows, limit samples, the governor's audit log and
#   per-second table, the HPA's decisions).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

low=${GOV_LOW:-60} high=${GOV_HIGH:-250}
low_s=${GOV_LOW_S:-25} high_s=${GOV_HIGH_S:-30}
runs=${GOV_RUNS:-1}
calib_s=3
((BENCH_SMOKE)) && low_s=1 high_s=1 runs=1 calib_s=1
total_s=$((low_s + high_s + low_s))
schedule="${low}@${low_s}s,${high}@${high_s}s,${low}@${low_s}s"
policy=$BENCH_ROOT/policies/slo-p99.yaml
read -r -a configs <<<"${GOV_CONFIGS:-static-peak static-avg governor hpa}"
ncpu=$(nproc)

for bin in "$BUILD/demo-infer" "$BUILD/loadgen" "$LATGOV"; do
	[[ -x $bin ]] || { log "$bin is not built: run make BUILD=... all"; exit 1; }
done
[[ -d /sys/fs/cgroup/cpu && -d /sys/fs/cgroup/cpuacct && -d /sys/fs/cgroup/memory ]] ||
	{ log "needs cgroup v1 cpu, cpuacct and memory hierarchies under /sys/fs/cgroup"; exit 1; }

# The policy's SLO and CPU bounds, so the HPA is held to the same range.
read -r slo_ms pmin pmax < <(python3 - "$policy" <<'PY'
import sys, yaml
p = yaml.safe_load(open(sys.argv[1]))
def cores(v):
    v = str(v)
    return float(v[:-1]) / 1000 if v.endswith("m") else float(v)
t = str(p["objective"]["target"])
ms = float(t[:-2]) if t.endswith("ms") else float(t[:-1]) * 1000 if t.endswith("s") else float(t) * 1000
print(ms, cores(p["cpu"]["min"]), cores(p["cpu"]["max"]))
PY
) || { log "cannot read the SLO and CPU bounds of $policy"; exit 1; }

name=latgov-bench-$$
cg_cpu=/sys/fs/cgroup/cpu/$name cg_acct=/sys/fs/cgroup/cpuacct/$name cg_mem=/sys/fs/cgroup/memory/$name
tmp=$(mktemp -d)
demo= loadgen= sampler= ctl= govern=
cleaned=0
cleanup() {
	((cleaned)) && return
	cleaned=1
	trap '' INT TERM
	local p n d
	# The governor first, with SIGINT: it restores the limits and its state file.
	if [[ -n $govern ]] && kill -0 "$govern" 2>/dev/null; then
		kill -INT "$govern"
		for ((n = 0; n < 100; n++)); do kill -0 "$govern" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$govern" 2>/dev/null; then
			kill -KILL "$govern"
			"$LATGOV" restore --cgroup "$cg_cpu" >&2 2>&1
		fi
		wait "$govern" 2>/dev/null
	fi
	for p in $loadgen $ctl $sampler $demo; do
		kill -0 "$p" 2>/dev/null || continue
		kill -TERM "$p" 2>/dev/null
		for ((n = 0; n < 50; n++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for d in "$cg_cpu" "$cg_acct" "$cg_mem"; do
		[[ -d $d ]] || continue
		for ((n = 0; n < 50; n++)); do rmdir "$d" 2>/dev/null && break; sleep 0.1; done
		[[ -d $d ]] && log "could not remove cgroup $d (tasks: $(tr '\n' ' ' <"$d/cgroup.procs"))"
	done
	if [[ -n ${GOV_OUT:-} ]]; then
		mkdir -p "$GOV_OUT" && cp "$tmp"/* "$GOV_OUT"/ 2>/dev/null && log "raw files in $GOV_OUT"
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir "$cg_cpu" "$cg_acct" "$cg_mem" || { log "cannot create the cgroups $name"; exit 1; }
period=$(cat "$cg_cpu/cpu.cfs_period_us")
set_quota() { # CORES or -1
	local q=-1
	[[ $1 == -1 ]] || q=$(awk -v c="$1" -v p="$period" 'BEGIN { printf "%d", c * p + 0.5 }')
	echo "$q" >"$cg_cpu/cpu.cfs_quota_us"
}

python3 -c 'import json; print(json.dumps({"input": [((i * 37) % 64) / 32 - 1 for i in range(64)]}))' >"$tmp/body.json"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Started in the cgroups from the first instruction: a subshell joins them, then execs.
(
	for d in "$cg_cpu" "$cg_acct" "$cg_mem"; do echo $BASHPID >"$d/cgroup.procs" || exit 1; done
	exec "$BUILD/demo-infer" --port "$port"
) >"$tmp/demo.log" 2>&1 &
demo=$!
for ((i = 0; i < 100; i++)); do
	grep -q 'listening' "$tmp/demo.log" 2>/dev/null && break
	kill -0 "$demo" 2>/dev/null || break
	sleep 0.1
done
grep -q 'listening' "$tmp/demo.log" || { log "demo-infer did not start: $(tail -3 "$tmp/demo.log")"; exit 1; }
log "$(head -1 "$tmp/demo.log")"

load() { # SCHEDULE SECONDS JSONL
	"$BUILD/loadgen" --schedule "$1" -d "${2}s" -c 32 --timeout 5s -q \
		--body-file "$tmp/body.json" -H 'Content-Type: application/json' \
		--jsonl "$3" "http://127.0.0.1:$port/v1/infer" >"$tmp/loadgen.log" 2>&1 &
	loadgen=$!
	wait "$loadgen" || log "loadgen exited with $?: $(tail -2 "$tmp/loadgen.log")"
	loadgen=
}

# ---- calibration: the cores the high step uses with no limit ----------------
set_quota -1
load "${high}@1s" 1 "$tmp/warm.jsonl"
u0=$(cat "$cg_acct/cpuacct.usage") t0=$EPOCHREALTIME
load "${high}@${calib_s}s" "$calib_s" "$tmp/calib.jsonl"
u1=$(cat "$cg_acct/cpuacct.usage") t1=$EPOCHREALTIME
read -r high_cores peak_cores avg_cores < <(python3 -c "
u = ($u1 - $u0) / 1e9 / ($t1 - $t0)
avg_rate = ($low * 2 * $low_s + $high * $high_s) / $total_s
print(u, u / 0.7, u * avg_rate / $high / 0.7)")
log "calibration: the high step ($high req/s) uses $(printf %.3f "$high_cores") cores unlimited;" \
	"static peak = $(printf %.3f "$peak_cores"), static average = $(printf %.3f "$avg_cores") cores (at 70 % utilisation)"

# A sampler of the limit (and usage) 5 times a second, for the core-seconds.
start_sampler() { # FILE
	python3 - "$cg_cpu" "$cg_acct" "$ncpu" >"$1" <<'PY' &
import sys, time, signal
cpu, acct, ncpu = sys.argv[1], sys.argv[2], int(sys.argv[3])
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
rd = lambda p: int(open(p).read().split()[0])
while True:
    q, per = rd(cpu + "/cpu.cfs_quota_us"), rd(cpu + "/cpu.cfs_period_us")
    print("%.3f %.5f %d" % (time.time(), ncpu if q < 0 else q / per, rd(acct + "/cpuacct.usage")), flush=True)
    time.sleep(0.2)
PY
	sampler=$!
}
stop_pid() { # VAR: TERM the process whose pid is in VAR and wait for it
	local -n p=$1
	[[ -n $p ]] || return 0
	kill -TERM "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	p=
}

# ---- one run: returns attainment, core-seconds, reaction --------------------
declare -A att cs react
run_one() { # CONFIG RUN
	local c=$1 r=$2 base i
	case $c in
	static-peak) set_quota "$peak_cores" ;;
	static-avg) set_quota "$avg_cores" ;;
	governor | hpa) set_quota "$(python3 -c "print(min($pmax, max($pmin, $avg_cores)))")" ;;
	esac
	if [[ $c == governor ]]; then
		base=$(bpf_links)
		"$LATGOV" govern --cgroup "$cg_cpu" --policy "$policy" --log "$tmp/audit-$r.jsonl" \
			>"$tmp/govern-$r.out" 2>"$tmp/govern-$r.err" &
		govern=$!
		if ! wait_links_above "$base" 20 || ! kill -0 "$govern" 2>/dev/null; then
			log "governor did not start: $(tail -3 "$tmp/govern-$r.err")"
			stop_pid govern
			return 1
		fi
	elif [[ $c == hpa ]]; then
		python3 "$BENCH_ROOT/tools/bench/hpa.py" --cpu-cgroup "$cg_cpu" --acct-cgroup "$cg_acct" \
			--min "$pmin" --max "$pmax" --target 0.7 --tolerance 0.1 --window 30 --interval 1 \
			--log "$tmp/hpa-$r.jsonl" 2>"$tmp/hpa-$r.err" &
		ctl=$!
	fi
	start_sampler "$tmp/samples-$c-$r.txt"
	local t_start=$EPOCHREALTIME
	load "$schedule" "$total_s" "$tmp/load-$c-$r.jsonl"
	local t_end=$EPOCHREALTIME
	stop_pid sampler
	if [[ $c == governor ]]; then
		kill -INT "$govern" 2>/dev/null
		for ((i = 0; i < 100; i++)); do kill -0 "$govern" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$govern" 2>/dev/null && log "governor did not stop within 10 s of SIGINT"
		wait "$govern"
		local rc=$?
		((rc == 0 || rc == 130)) || log "governor exited with $rc: $(tail -3 "$tmp/govern-$r.err")"
		log "governor: $(grep -c . "$tmp/audit-$r.jsonl" 2>/dev/null || echo 0) audit lines;" \
			"quota after exit $(cat "$cg_cpu/cpu.cfs_quota_us")"
		govern=
	fi
	stop_pid ctl
	local out
	out=$(python3 - "$tmp/load-$c-$r.jsonl" "$tmp/samples-$c-$r.txt" "$t_start" "$t_end" \
		"$slo_ms" "$low_s" "$total_s" <<'PY'
import json, sys
load, samples, t0, t1, slo_ms, step, total = sys.argv[1:8]
t0, t1, slo_us, step, total = float(t0), float(t1), float(slo_ms) * 1000, int(step), int(total)
wins = [json.loads(l) for l in open(load) if l.strip()]
def ok(w):
    bad = w.get("errors", 0) + w.get("timeouts", 0) + w.get("dropped", 0)
    return w["latency_us"]["p99"] <= slo_us and bad <= 0.01 * max(1, w.get("sent", 0))
good = {w["t"]: ok(w) for w in wins if w.get("completed", 0) > 0}
att = 100.0 * sum(good.values()) / len(good) if good else float("nan")
# Core-seconds: the sampled limit held until the next sample, over [t0, t1].
pts = [tuple(map(float, l.split()[:2])) for l in open(samples) if l.strip()]
cs = 0.0
for i, (t, lim) in enumerate(pts):
    a = max(t, t0)
    b = min(pts[i + 1][0] if i + 1 < len(pts) else t1, t1)
    if i == 0:
        a = t0
    if b > a:
        cs += lim * (b - a)
# Reaction: window t covers [t-1, t); the step starts at `step`. The first run of
# 3 windows (fewer when fewer remain) meeting the SLO; never = the rest of the run.
need = min(3, total - step)
react = float(total - step)
for k in range(step + 1, total + 1):
    if all(good.get(j, False) for j in range(k, k + need)):
        react = float(k - 1 - step)
        break
worst = max((w["latency_us"]["p99"] for w in wins if w.get("completed", 0) > 0), default=0)
print(att, cs, react, len(good), worst / 1000)
PY
)
	read -r att[$c,$r] cs[$c,$r] react[$c,$r] nwin worst <<<"$out"
	log "$c run $r: attainment $(printf %.1f "${att[$c,$r]}") % of $nwin windows, $(printf %.1f "${cs[$c,$r]}") core-s," \
		"reaction $(printf %.0f "${react[$c,$r]}") s, worst window p99 $(printf %.1f "$worst") ms"
}

for ((r = 0; r < runs; r++)); do
	for c in "${configs[@]}"; do
		log "run $r: $c, $schedule"
		run_one "$c" "$r"
	done
done

values() { local c=$1 r; local -n arr=$2; for ((r = 0; r < runs; r++)); do echo -n "${arr[$c,$r]:-} "; done; }
ratio_vals() {
	local r
	for ((r = 0; r < runs; r++)); do
		[[ -n ${cs[$1,$r]:-} && -n ${cs[static-peak,$r]:-} ]] || continue
		python3 -c "print(${cs[$1,$r]} / ${cs[static-peak,$r]})"
	done | tr '\n' ' '
}
size="load $schedule on POST /v1/infer, runs=$runs"
pk=$(printf %.2f "$peak_cores") av=$(printf %.2f "$avg_cores")
figs=()
for c in "${configs[@]}"; do
	case $c in
	static-peak) n="static limit for the peak ($pk cores = measured $(printf %.2f "$high_cores") / 0.7)"; g=""; gv="" ;;
	static-avg) n="static limit for the average ($av cores)"; g=""; gv="" ;;
	governor) n="latgov govern (policies/slo-p99.yaml)"; g="≥ 99%"; gv=99 ;;
	hpa) n="HPA-like rule (70% utilisation ±10%, 1 s sync, 30 s scale-down window)"; g=""; gv="" ;;
	esac
	cmp=none
	[[ -n $g ]] && cmp=ge
	note=""
	[[ $c == static-peak ]] && note="$size; SLO: client p99 ≤ ${slo_ms} ms per 1 s window"
	figs+=("$(figure "SLO attainment, $n" "% of windows" "$g" "$cmp" "$gv" "$note" $(values "$c" att))")
done
for c in "${configs[@]}"; do
	note=""
	[[ $c == static-peak ]] && note="the CPU quota sampled 5×/s, integrated over the load; unlimited counts as $ncpu cores"
	figs+=("$(figure "core-seconds allocated, $c" "core·s" "" none "" "$note" $(values "$c" cs))")
done
figs+=("$(figure "governor core-seconds vs static peak" "× static peak" "≤ 0.70×" le 0.70 "" $(ratio_vals governor))")
figs+=("$(figure "HPA-like core-seconds vs static peak" "× static peak" "" none "" "" $(ratio_vals hpa))")
rnote="from the step to the first of 3 consecutive windows meeting the SLO; a run that never recovers counts the rest of the run"
figs+=("$(figure "reaction after the step, governor" "s" "≤ 2 s" le 2 "$rnote" $(values governor react))")
figs+=("$(figure "reaction after the step, HPA-like rule" "s" "" none "" "" $(values hpa react))")
bench_json governor "Governor vs static limits and an HPA-like rule (demo-infer, stepped load)" "${figs[@]}"
