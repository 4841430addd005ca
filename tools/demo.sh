#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The script behind "sudo make demo": the demo inference service in a cgroup of
# its own, under a stepped open-loop load from loadgen, watched by latgov, and
# a self-contained HTML report of what happened.
#
#   BUILD=build LATGOV=./latgov bash tools/demo.sh
#
# Settings (environment):
#   DEMO_SCHEDULE    loadgen schedule for POST /v1/infer      (default 100@20s,350@20s,100@20s)
#   DEMO_GEN_RATE    POST /v1/generate streams per second      (default 2; 0 = none)
#   DEMO_GEN_TOKENS  tokens per stream                         (default 16)
#   DEMO_CPU         CPU limit of the cgroup, in cores         (default 0.5; "max" = none)
#   DEMO_MEMORY      memory limit of the cgroup                (default 512M)
#   DEMO_THREADS     demo-infer worker threads                 (default 2)
#   DEMO_POLICY      governor policy, also the SLO of the charts (default policies/slo-p99.yaml)
#   DEMO_LATGOV      auto: latgov trace with --flame and --policy if it can, else
#                    plain trace; full; trace; off                 (default auto)
#   DEMO_OUT         output folder                             (default demo-out)
#
# Every process and cgroup it starts is removed at the end, also on failure
# and Ctrl-C.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
LATGOV=${LATGOV:-$ROOT/latgov}
SCHEDULE=${DEMO_SCHEDULE:-100@20s,350@20s,100@20s}
GEN_RATE=${DEMO_GEN_RATE:-2}
GEN_TOKENS=${DEMO_GEN_TOKENS:-16}
CPU=${DEMO_CPU:-0.5}
MEMORY=${DEMO_MEMORY:-512M}
THREADS=${DEMO_THREADS:-2}
POLICY=${DEMO_POLICY:-$ROOT/policies/slo-p99.yaml}
LATGOV_MODE=${DEMO_LATGOV:-auto}
OUT=${DEMO_OUT:-demo-out}

say() { printf 'demo: %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

((EUID == 0)) || die "needs root: it creates a cgroup and loads BPF programs. Run: sudo make demo"
for bin in "$BUILD/demo-infer" "$BUILD/loadgen"; do
	[[ -x $bin ]] || die "$bin is not built: run make BUILD=${BUILD#"$ROOT"/} all"
done
command -v python3 >/dev/null || die "python3 is missing: run make deps"
[[ $CPU == max || $CPU =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "DEMO_CPU=$CPU: give cores (0.5, 2) or max"
[[ $MEMORY =~ ^[0-9]+[KMG]?$ ]] || die "DEMO_MEMORY=$MEMORY: give bytes with an optional K, M or G"
[[ $LATGOV_MODE =~ ^(auto|full|trace|off)$ ]] || die "DEMO_LATGOV=$LATGOV_MODE: give auto, full, trace or off"
[[ $GEN_RATE =~ ^[0-9]+$ ]] || die "DEMO_GEN_RATE=$GEN_RATE: give a whole number of streams per second"

# The run's length is the schedule's: loadgen knows how to read one, so ask it.
seconds=$(python3 - "$SCHEDULE" <<'PY'
import re, sys
total = 0.0
units = {"ms": 1e-3, "s": 1, "m": 60, "h": 3600}
for seg in sys.argv[1].split(","):
    m = re.search(r"@([0-9.]+)(ms|s|m|h)?$", seg.split(":", 1)[-1])
    if not m:
        sys.exit("DEMO_SCHEDULE segment %r has no @DURATION (e.g. 100@20s)" % seg)
    total += float(m.group(1)) * units[m.group(2) or "s"]
print(int(total + 0.999))
PY
) || die "DEMO_SCHEDULE=$SCHEDULE: expected segments RATE@DUR or FROM-TO@DUR, e.g. 100@20s,400@20s,100@20s"
((seconds >= 1 && seconds <= 600)) || die "DEMO_SCHEDULE lasts ${seconds}s: keep it between 1 s and 10 min"

# ---- cleanup -----------------------------------------------------------------
pids=()		# every process started, killed in reverse order
cgroups=()	# every cgroup directory created
cleaning=0
cleanup() {
	local rc=$? i p d grace
	((cleaning)) && return
	cleaning=1
	trap '' INT TERM
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		p=${pids[i]}
		kill -0 "$p" 2>/dev/null || continue
		# latgov ends a session on SIGINT (Ctrl-C), restores what it changed and writes
		# its files (the flame graph takes seconds under load): it gets longer.
		grace=50
		if [[ $p == "${latgov_pid:-}" ]]; then kill -INT "$p"; grace=300; else kill -TERM "$p"; fi 2>/dev/null
		for ((n = 0; n < grace; n++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		if kill -KILL "$p" 2>/dev/null && [[ $p == "${latgov_pid:-}" ]]; then
			wait "$p" 2>/dev/null
			# Killed, it could not restore: what it changed, and its state files, are undone here.
			"$LATGOV" restore --cgroup "$cg_target" >&2
		fi
		wait "$p" 2>/dev/null
	done
	for d in "${cgroups[@]}"; do
		[[ -d $d ]] || continue
		# A cgroup can be removed once its last task is gone.
		for ((n = 0; n < 50; n++)); do rmdir "$d" 2>/dev/null && break; sleep 0.1; done
		[[ -d $d ]] && echo "demo: could not remove cgroup $d (tasks: $(tr '\n' ' ' <"$d/cgroup.procs"))" >&2
	done
	exit "$rc"
}
trap cleanup EXIT
trap 'echo; say "interrupted, cleaning up"; exit 130' INT TERM

[[ $CPU == max ]] || quota_us=$(awk -v c="$CPU" 'BEGIN { printf "%d", c * 100000 + 0.5 }')
((${quota_us:-1000} >= 1000)) || die "DEMO_CPU=$CPU is below the 1 ms per 100 ms the kernel allows"

# ---- the cgroup ----------------------------------------------------------------
# v2 where the cgroup2 mount carries the cpu controller; v1 otherwise (as on the
# development machines, where cgroup2 at /sys/fs/cgroup/unified has only hugetlb).
name=latgov-demo-$$
cgv=
if [[ $(stat -f -c %T /sys/fs/cgroup 2>/dev/null) == cgroup2fs ]] &&
	grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
	cgv=2
	cg=/sys/fs/cgroup/$name
	for c in cpu memory; do
		grep -qw "$c" /sys/fs/cgroup/cgroup.subtree_control ||
			echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
	done
	mkdir "$cg" || die "cannot create cgroup $cg"
	cgroups+=("$cg")
	cg_procs=("$cg/cgroup.procs")
	echo "${quota_us:-max} 100000" >"$cg/cpu.max" || die "cannot set cpu.max of $cg"
	echo "$MEMORY" >"$cg/memory.max" || die "cannot set memory.max of $cg"
	cg_target=$cg
elif [[ -d /sys/fs/cgroup/cpu && -d /sys/fs/cgroup/memory ]]; then
	cgv=1
	cg=/sys/fs/cgroup/cpu/$name
	cg_acct=/sys/fs/cgroup/cpuacct/$name
	cg_mem=/sys/fs/cgroup/memory/$name
	# cpu and cpuacct may be one hierarchy mounted twice: then it is one directory.
	mkdir "$cg" || die "cannot create cgroup $cg"
	cgroups+=("$cg")
	if [[ ! -d $cg_acct ]]; then
		mkdir "$cg_acct" || die "cannot create cgroup $cg_acct"
		cgroups+=("$cg_acct")
	fi
	mkdir "$cg_mem" || die "cannot create cgroup $cg_mem"
	cgroups+=("$cg_mem")
	cg_procs=("$cg/cgroup.procs" "$cg_mem/cgroup.procs")
	[[ $cg_acct != "$cg" ]] && cg_procs+=("$cg_acct/cgroup.procs")
	echo 100000 >"$cg/cpu.cfs_period_us"
	echo "${quota_us:--1}" >"$cg/cpu.cfs_quota_us" || die "cannot set cpu.cfs_quota_us of $cg"
	echo "$MEMORY" >"$cg_mem/memory.limit_in_bytes" || die "cannot set memory.limit_in_bytes of $cg_mem"
	cg_target=$cg
else
	die "no cgroup with a cpu controller: neither cgroup2 with cpu at /sys/fs/cgroup nor v1 at /sys/fs/cgroup/cpu"
fi

# ---- output folder ---------------------------------------------------------------
rm -rf "$OUT"
mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)
slo_ms=50
if [[ -f $POLICY ]]; then
	t=$(sed -n 's/^[[:space:]]*target:[[:space:]]*\([0-9.]*\)ms.*/\1/p' "$POLICY" | head -1)
	[[ -n $t ]] && slo_ms=$t
fi

# ---- the service -------------------------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The child moves itself into the cgroup before exec, so every thread of the
# service starts inside it.
bash -c 'for f in "${@:2}"; do echo $$ >"$f" || exit 1; done; exec "$1" --port '"$port"' --threads '"$THREADS" \
	_ "$BUILD/demo-infer" "${cg_procs[@]}" >"$OUT/demo-infer.log" 2>&1 &
server=$!
pids+=("$server")
# It prints its start-up line once it listens. Waiting for that line rather
# than probing the port keeps stray connections out of latgov's figures.
for ((i = 0; i < 200; i++)); do
	grep -q "listening on" "$OUT/demo-infer.log" && break
	kill -0 "$server" 2>/dev/null || break
	sleep 0.05
done
grep -q "listening on" "$OUT/demo-infer.log" ||
	die "demo-infer did not start listening on port $port: $(cat "$OUT/demo-infer.log")"
say "$(head -1 "$OUT/demo-infer.log" | sed 's/^demo-infer: //')"
say "cgroup v$cgv $cg_target: cpu ${CPU} cores, memory $MEMORY"

# ---- latgov ---------------------------------------------------------------------------
# One session that traces, profiles (--flame) and governs (--policy) the cgroup;
# where the machine cannot do all of that (no perf events, no cgroup
# controllers), tracing alone; where it cannot trace, nothing: the demo still
# shows the client's view, and says what is missing.
latgov_mode=none
latgov_note=
start_latgov() {
	local mode=$1 log=$OUT/latgov-$1.log p args
	args=(trace --cgroup "$cg_target" -d "$((seconds + 15))"
		--json "$OUT/latgov.jsonl" --summary "$OUT/latgov-summary.json")
	[[ $mode == full ]] && args+=(--flame "$OUT/flame" --policy "$POLICY" --log "$OUT/governor.jsonl")
	latgov_t0=$EPOCHREALTIME
	"$LATGOV" "${args[@]}" >"$log" 2>&1 &
	p=$!
	# Give it a moment to fail fast (an option or feature it lacks), then trust it.
	for ((i = 0; i < 30; i++)); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$p" 2>/dev/null; then
		pids+=("$p")
		latgov_pid=$p
		latgov_mode=$mode
		return 0
	fi
	wait "$p"
	latgov_note+="latgov trace ($mode) failed to start (exit $?: $(grep -m1 . "$log" | head -c 160 | sed 's/^latgov: //')). "
	return 1
}
if [[ ! -x $LATGOV ]]; then
	latgov_note="latgov is not built at $LATGOV. "
elif [[ $LATGOV_MODE == auto ]]; then
	[[ -f $POLICY ]] || latgov_note+="no policy at $POLICY: not governing. "
	{ [[ -f $POLICY ]] && start_latgov full; } || start_latgov trace
elif [[ $LATGOV_MODE != off ]]; then
	start_latgov "$LATGOV_MODE"
fi
if [[ $latgov_mode == none ]]; then
	say "running without latgov: ${latgov_note:-DEMO_LATGOV=off}"
else
	say "latgov ($latgov_mode) is watching the cgroup${latgov_note:+; $latgov_note}"
fi

# ---- cgroup sampler: usage, limit, throttling, memory once a second --------------------
# One process, so that stopping it leaves nothing behind (a shell loop would leave its sleep).
sample_cgroup() {
	exec python3 - "$cgv" "$cg" "${cg_acct:-}" "${cg_mem:-}" <<'PY'
import json, sys, time
v, cg, acct, mem = sys.argv[1:5]
def read(path):
    with open(path) as f:
        return f.read()
def stat(path):
    return {k: int(n) for k, n in (l.split() for l in read(path).splitlines() if len(l.split()) == 2)}
t0 = time.monotonic()
while True:
    s = stat(cg + "/cpu.stat")
    if v == "2":
        usage = s.get("usage_usec", 0) * 1000
        q, p = read(cg + "/cpu.max").split()
        limit = 0 if q == "max" else int(q) / int(p)
        memory = int(read(cg + "/memory.current"))
    else:
        usage = int(read(acct + "/cpuacct.usage"))
        q, p = int(read(cg + "/cpu.cfs_quota_us")), int(read(cg + "/cpu.cfs_period_us"))
        limit = 0 if q < 0 else q / p
        memory = int(read(mem + "/memory.usage_in_bytes"))
    print(json.dumps({"t": round(time.monotonic() - t0, 3), "usage_ns": usage, "limit_cores": limit,
                      "nr_periods": s.get("nr_periods", 0), "nr_throttled": s.get("nr_throttled", 0),
                      "memory_bytes": memory}), flush=True)
    time.sleep(1)
PY
}

# ---- load ------------------------------------------------------------------------------
python3 -c 'import json; print(json.dumps({"input": [((i * 37) % 64) / 32 - 1 for i in range(64)]}))' >"$OUT/infer-body.json"
printf '{"prompt":[40,72,79,86,79],"tokens":%d}\n' "$GEN_TOKENS" >"$OUT/generate-body.json"
t_start=$EPOCHREALTIME
sample_cgroup >"$OUT/cgroup.jsonl" &
pids+=($!)
say "load: POST /v1/infer at $SCHEDULE, POST /v1/generate at $GEN_RATE streams/s, ${seconds}s"
"$BUILD/loadgen" --schedule "$SCHEDULE" -d "${seconds}s" -c 32 --timeout 10s -q \
	--body-file "$OUT/infer-body.json" -H 'Content-Type: application/json' \
	--jsonl "$OUT/loadgen-infer.jsonl" --summary "$OUT/loadgen-infer-summary.json" \
	"http://127.0.0.1:$port/v1/infer" >"$OUT/loadgen-infer.log" 2>&1 &
lg_infer=$!
pids+=("$lg_infer")
lg_gen=
if ((GEN_RATE > 0)); then
	"$BUILD/loadgen" --rate "$GEN_RATE" -d "${seconds}s" -c 8 --timeout 10s -q \
		--body-file "$OUT/generate-body.json" -H 'Content-Type: application/json' \
		--jsonl "$OUT/loadgen-generate.jsonl" --summary "$OUT/loadgen-generate-summary.json" \
		"http://127.0.0.1:$port/v1/generate" >"$OUT/loadgen-generate.log" 2>&1 &
	lg_gen=$!
	pids+=("$lg_gen")
fi

# A progress line every 5 s from loadgen's own per-second output.
while kill -0 "$lg_infer" 2>/dev/null; do
	sleep 1
	now=$(awk -v a="$t_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", b - a }')
	if ((now % 5 == 0)) && [[ -s $OUT/loadgen-infer.jsonl ]]; then
		tail -1 "$OUT/loadgen-infer.jsonl" | python3 -c '
import json, sys
j = json.loads(sys.stdin.read())
print("demo: t=%3.0fs  infer %4.0f req/s  p50 %7.2f ms  p99 %7.2f ms  errors %d" % (
    j["t"], j["achieved_rps"], j["latency_us"]["p50"] / 1e3, j["latency_us"]["p99"] / 1e3,
    j["errors"] + j["timeouts"]))' 2>/dev/null
	fi
done
wait "$lg_infer"
lg_rc=$?
[[ -n $lg_gen ]] && wait "$lg_gen"
((lg_rc == 0)) || say "loadgen exited with status $lg_rc: $(tail -3 "$OUT/loadgen-infer.log")"

# The load is over: end the latgov session as Ctrl-C would, so it writes its files.
if [[ $latgov_mode != none ]]; then
	kill -INT "$latgov_pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do kill -0 "$latgov_pid" 2>/dev/null || break; sleep 0.1; done
	wait "$latgov_pid" 2>/dev/null
	latgov_rc=$?
	((latgov_rc == 0 || latgov_rc == 130)) || latgov_note+="latgov exited with status $latgov_rc (see latgov-$latgov_mode.log). "
	[[ $latgov_mode == full && ! -s $OUT/flame/flame.svg ]] && latgov_note+="this latgov wrote no flame graph yet. "
	[[ $latgov_mode == full && ! -s $OUT/governor.jsonl ]] && latgov_note+="this latgov logged no governor decision. "
fi

# ---- report ------------------------------------------------------------------------------
cat >"$OUT/meta.json" <<EOF
{"schedule": "$SCHEDULE", "seconds": $seconds, "cpu_limit": "$CPU", "memory_limit": "$MEMORY",
 "threads": $THREADS, "slo_ms": $slo_ms, "policy": "$(basename "$POLICY")", "cgroup": "$cg_target",
 "cgroup_version": $cgv, "latgov_mode": "$latgov_mode",
 "latgov_offset_s": $(awk -v a="${latgov_t0:-$t_start}" -v b="$t_start" 'BEGIN { printf "%.3f", b - a }'),
 "latgov_note": $(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$latgov_note"),
 "service": $(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$(head -1 "$OUT/demo-infer.log")"),
 "generate_tokens": $GEN_TOKENS, "generate_rate": $GEN_RATE}
EOF
python3 "$ROOT/tools/report.py" "$OUT" || die "report.py failed: the raw files are in $OUT"
echo
sed -n '/^summary:/,$p' "$OUT/report.txt"
say "report: $OUT/report.html"
