#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Tracing overhead on nginx (1 worker, tiny file, saturated by wrk on loopback):
# instructions per request system-wide (perf stat -a: nginx, wrk, the kernel and
# the tracer itself) and in the nginx worker alone (perf stat -p), and the
# saturated throughput, for: no tracer, 'latgov trace', 'latgov trace --flame'
# (99 Hz + off-CPU), and an equivalent bpftrace per-request script as the anchor.
# Configurations alternate within each round; figures are medians of the
# per-round ratios against the untraced run of the same round. A second
# untraced run each round (base2) is the control: its ratios show how far two
# runs of the same thing differ on this machine, the noise the others carry.
# Here one 2 s run differs from the next by up to ±15% (shared vCPUs), so a
# median over 10 pairs moves by ±4%: 30 rounds of 2 s, not 10 of 3. The
# throughput goal's figure gets 60 more rounds of the untraced run, its
# control and latgov alone (their other figures use them too).
#
#   tools/bench/overhead.sh            (BENCH_SMOKE=1: one short round)
#   OVERHEAD_ROUNDS=N OVERHEAD_TPUT_ROUNDS=N OVERHEAD_SECONDS=S to change the size.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

rounds=${OVERHEAD_ROUNDS:-30}
secs=${OVERHEAD_SECONDS:-2}
((BENCH_SMOKE)) && rounds=1 secs=1
configs=(base base2 latgov flame bpftrace)

tmp=$(mktemp -d)
chmod 755 "$tmp"	# nginx's workers (www-data) must reach their files
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
tracer=
cleanup() {
	[[ -n $tracer ]] && kill -INT "$tracer" 2>/dev/null && wait "$tracer" 2>/dev/null
	nginx_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Instructions where the PMU is visible; CPU time (from /proc) where it is not.
if have_instructions; then
	metric=instructions unit=instr
else
	metric=cpu unit="CPU ns"
	log "perf cannot count instructions here (PMU not exposed): measuring CPU time per request instead"
fi

nginx_start "$tmp/nginx" "$port" 1 || exit 1
worker=$(nginx_workers)
url=http://127.0.0.1:$port/index.html

# The anchor: a per-request latency histogram on two syscall tracepoints, the
# way one would write it with bpftrace (read of the request to the last write).
bpftrace_script="tracepoint:syscalls:sys_exit_recvfrom /pid == $worker && args->ret > 0/ { @start[tid] = nsecs; }
tracepoint:syscalls:sys_exit_sendfile64 /@start[tid]/ { @usecs = hist((nsecs - @start[tid]) / 1000); delete(@start[tid]); }"

# start_tracer CONFIG: starts it and waits until it has attached.
start_tracer() {
	local base
	base=$(bpf_links)
	case $1 in
	base | base2) tracer=; return 0 ;;
	latgov) "$LATGOV" trace --port "$port" --summary "$tmp/summary.json" >"$tmp/tracer.log" 2>&1 & ;;
	flame) "$LATGOV" trace --port "$port" --flame "$tmp/flame" --off-cpu >"$tmp/tracer.log" 2>&1 & ;;
	bpftrace) bpftrace -e "$bpftrace_script" >"$tmp/tracer.log" 2>&1 & ;;
	esac
	tracer=$!
	local i
	for ((i = 0; i < 400; i++)); do
		kill -0 "$tracer" 2>/dev/null || { log "$1 exited: $(tail -3 "$tmp/tracer.log")"; tracer=; return 1; }
		if [[ $1 == bpftrace ]]; then
			grep -q '^Attaching' "$tmp/tracer.log" && return 0
		elif (($(bpf_links) > base)); then
			return 0
		fi
		sleep 0.05
	done
	log "$1 did not attach in 20 s"
	return 1
}

stop_tracer() {
	[[ -n $tracer ]] || return 0
	kill -INT "$tracer" 2>/dev/null
	wait "$tracer" 2>/dev/null
	tracer=
	# The kernel frees a tracer's programs and maps after it exits (RCU,
	# workqueues): let that finish before the next run is measured.
	sleep 0.5
}

declare -A ipr_all ipr_worker rps cpu rss

# measure C R: one run of configuration C as round R (its figures go to the arrays above).
measure() {
	local c=$1 r=$2 cpu0 pw all wrk_instr b0 w0 reqs
	if ! start_tracer "$c"; then
		stop_tracer
		return 0
	fi
	cpu0=0
	[[ -n $tracer ]] && cpu0=$(cpu_seconds "$tracer")
	if [[ $metric == instructions ]]; then
		perf stat -e instructions -x, -o "$tmp/worker.perf" -p "$worker" >/dev/null 2>&1 &
		pw=$!
		perf stat -a -e instructions -x, -o "$tmp/all.perf" -- \
			wrk -t1 -c16 -d"${secs}s" "$url" >"$tmp/wrk.out" 2>&1
		kill -INT "$pw" 2>/dev/null
		wait "$pw" 2>/dev/null
		all=$(awk -F, '/instructions/ {print $1}' "$tmp/all.perf")
		wrk_instr=$(awk -F, '/instructions/ {print $1}' "$tmp/worker.perf")
	else
		b0=$(busy_ns) w0=$(proc_cpu_ns "$worker")
		wrk -t1 -c16 -d"${secs}s" "$url" >"$tmp/wrk.out" 2>&1
		all=$(python3 -c "print($(busy_ns) - $b0)") wrk_instr=$(python3 -c "print($(proc_cpu_ns "$worker") - $w0)")
	fi
	if [[ -n $tracer ]]; then
		cpu[$c]+="$(python3 -c "print(($(cpu_seconds "$tracer") - $cpu0) / $secs * 100)") "
		rss[$c]+="$(rss_peak_mib "$tracer") "
	fi
	stop_tracer
	reqs=$(awk '/requests in/ {print $1}' "$tmp/wrk.out")
	if [[ -z $reqs || -z $all || $reqs == 0 || $all == *[!0-9.e+]* ]]; then
		log "round $r $c: no measurement (wrk: $(tail -2 "$tmp/wrk.out" | tr '\n' ' '))"
		return 0
	fi
	ipr_all[$c,$r]=$(python3 -c "print($all / $reqs)")
	ipr_worker[$c,$r]=$(python3 -c "print(${wrk_instr:-0} / $reqs)")
	rps[$c,$r]=$(python3 -c "print($reqs / $secs)")
	log "round $r $c: $reqs requests, $(printf %.0f "${ipr_all[$c,$r]}") $unit/req system-wide, $(printf %.0f "${ipr_worker[$c,$r]}") in the worker"
}

for ((r = 0; r < rounds; r++)); do
	# Rotate the order each round so drift does not favour one configuration.
	order=("${configs[@]:r % ${#configs[@]}}" "${configs[@]:0:r % ${#configs[@]}}")
	for c in "${order[@]}"; do
		measure "$c" "$r"
	done
done

# Throughput alone, for the goal's figure: more rounds of the untraced run, its
# control and latgov. One 2 s run differs from the next by about as much as the
# loss the goal allows, so the median ratio of the rotation's 30 rounds alone
# cannot settle the goal (its ci90 says how far off it may be; the figures are
# in NOTES.md); these rounds narrow it. The order cycles through all six
# permutations, so each configuration follows each other one equally often: in a
# rotation it always follows the same one, and whatever that one leaves behind
# (a tracer's teardown) would weigh on it alone.
tput_rounds=${OVERHEAD_TPUT_ROUNDS:-60}
((BENCH_SMOKE)) && tput_rounds=0
perms=("base base2 latgov" "base latgov base2" "base2 base latgov" "base2 latgov base" "latgov base base2" "latgov base2 base")
for ((k = 0; k < tput_rounds; k++)); do
	for c in ${perms[k % 6]}; do
		measure "$c" $((rounds + k))
	done
done
all_rounds=$((rounds + tput_rounds))

# ratios CONFIG ARRAY: the per-round ratios against the same round's base, as a list.
ratios() {
	local c=$1 r out=""
	local -n arr=$2
	for ((r = 0; r < all_rounds; r++)); do
		[[ -n ${arr[$c,$r]:-} && -n ${arr[base,$r]:-} ]] || continue
		out+="$(python3 -c "print(${arr[$c,$r]} / ${arr[base,$r]})") "
	done
	echo "$out"
}
pct() { for v in $1; do python3 -c "print(($v - 1) * 100)"; done | tr '\n' ' '; }
values() { local c=$1 r; local -n arr=$2; for ((r = 0; r < all_rounds; r++)); do echo -n "${arr[$c,$r]:-} "; done; }

what="instructions/request" note=""
if [[ $metric == cpu ]]; then
	what="CPU time/request"
	note="perf cannot count instructions on this machine (PMU not exposed): CPU time from /proc/stat (system-wide, 10 ms ticks) and /proc/PID/stat (worker) instead"
fi
figs=()
figs+=("$(figure "$what, system-wide, no tracer" "$unit" "" none "" "$note" $(values base ipr_all))")
figs+=("$(figure "$what, nginx worker, no tracer" "$unit" "" none "" "" $(values base ipr_worker))")
figs+=("$(figure "saturated throughput, no tracer" "req/s" "" none "" "" $(values base rps))")
figs+=("$(figure "control, a second untraced run: $what, system-wide" "% added" "" none "" "the noise floor: two runs of the same thing" $(pct "$(ratios base2 ipr_all)"))")
figs+=("$(figure "control, a second untraced run: saturated throughput" "× untraced" "" none "" "the noise floor: two runs of the same thing" $(ratios base2 rps))")
for c in latgov flame bpftrace; do
	case $c in
	latgov) name="latgov trace"; goal_i="≤ +4%"; gi=4; goal_t="≥ 0.95×"; gt=0.95 ;;
	flame) name="latgov trace --flame (99 Hz + off-CPU)"; goal_i="≤ +7% (tracing +3%)"; gi=7; goal_t=""; gt="" ;;
	bpftrace) name="bpftrace anchor (2 syscall tracepoints)"; goal_i=""; gi=""; goal_t=""; gt="" ;;
	esac
	figs+=("$(figure "$name: $what, system-wide" "% added" "$goal_i" le "$gi" "" $(pct "$(ratios $c ipr_all)"))")
	figs+=("$(figure "$name: $what, nginx worker" "% added" "" none "" "" $(pct "$(ratios $c ipr_worker)"))")
	figs+=("$(figure "$name: saturated throughput" "× untraced" "$goal_t" ge "$gt" "" $(ratios $c rps))")
	if [[ $c != bpftrace ]]; then
		figs+=("$(figure "$name: agent CPU" "% of a core" "" none "" "" ${cpu[$c]:-})")
		figs+=("$(figure "$name: agent peak RSS" "MiB" "≤ 32 MiB" le 32 "" ${rss[$c]:-})")
	fi
done
bench_json overhead "Tracing overhead on nginx" "${figs[@]}"
