#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs inside the instruction-counting VM (tools/bench/instructions.sh boots
# it): one vCPU under qemu's "-icount shift=0", where the guest clock advances
# exactly one nanosecond per instruction executed. So:
#   instructions, system-wide  = busy time of the CPU: /proc/schedstat's run
#                                time of every task (loadgen, the server, the
#                                tracer, the kernel on their behalf), idle excluded
#   instructions, target alone = the server's threads' run time (/proc/PID/task/*/schedstat)
# Per request: the difference between a run of SMALL and one of LARGE requests
# (loadgen closed loop, -n) over LARGE - SMALL, so start-up costs cancel.
#
# Prints one JSON line per measurement on stdout:
#   {"target":"nginx","config":"latgov","round":0,"all":N,"target_only":N}
#
#   tools/vmtest/guest_instructions.sh [--smoke]   (--smoke: one short round on nginx, no
#                                      flame or bpftrace: only that it works)
#
# Targets: nginx (a tiny file), redis (GET, with redis-benchmark) and the demo
# inference service.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
source tools/bench/lib.sh

rounds=3 targets=(nginx redis demo) nginx_configs=(base latgov flame bpftrace) demo_configs=(base latgov flame)
redis_configs=(base latgov)
nginx_n=(2000 10000) demo_n=(100 400) redis_n=(2000 10000)
if [[ ${1:-} == --smoke ]]; then
	rounds=1 targets=(nginx) nginx_configs=(base latgov) nginx_n=(200 600)
fi
tmp=$(mktemp -d)
chmod 755 "$tmp"	# nginx's workers (www-data) must reach their files
tracer= demo= redis=
cleanup() {
	[[ -n $tracer ]] && kill -INT "$tracer" 2>/dev/null && wait "$tracer" 2>/dev/null
	[[ -n $demo ]] && kill "$demo" 2>/dev/null && wait "$demo" 2>/dev/null
	[[ -n $redis ]] && kill "$redis" 2>/dev/null && wait "$redis" 2>/dev/null
	nginx_stop
	rm -rf "$tmp"
}
trap cleanup EXIT

busy_all() { awk '$1 == "cpu0" {print $8}' /proc/schedstat; }
busy_proc() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }

# The closed-loop clients: N requests, 4 at a time. Redis gets its own benchmark
# client (GET), whose start-up (two CONFIG GET) cancels out as loadgen's does.
load() {	# TARGET N ARGS...
	local target=$1 n=$2
	shift 2
	if [[ $target == redis ]]; then
		redis-benchmark -q -c 4 -n "$n" "$@" -t get >/dev/null 2>&1
	else
		"$BUILD/loadgen" -q --closed 4 -n "$n" -d 300s "$@" >/dev/null 2>&1
	fi
}

# run TARGET N PID ARGS...: "<system-wide ns> <target ns>" over a closed-loop run of N requests.
run() {
	local target=$1 n=$2 pid=$3 a0 p0
	shift 3
	a0=$(busy_all) p0=$(busy_proc "$pid")
	load "$target" "$n" "$@"
	echo "$(($(busy_all) - a0)) $(($(busy_proc "$pid") - p0))"
}

start_tracer() {	# CONFIG PORT PID
	local base
	base=$(bpf_links)
	case $1 in
	base) return 0 ;;
	latgov) "$LATGOV" trace --port "$2" >"$tmp/tracer.log" 2>&1 & ;;
	flame) "$LATGOV" trace --port "$2" --flame "$tmp/flame" --off-cpu >"$tmp/tracer.log" 2>&1 & ;;
	# The anchor from the overhead benchmark: the read of a request to its last write.
	bpftrace) bpftrace -e "tracepoint:syscalls:sys_exit_recvfrom /pid == $3 && args->ret > 0/ { @start[tid] = nsecs; }
tracepoint:syscalls:sys_exit_sendfile64 /@start[tid]/ { @usecs = hist((nsecs - @start[tid]) / 1000); delete(@start[tid]); }" \
		>"$tmp/tracer.log" 2>&1 & ;;
	esac
	tracer=$!
	for ((i = 0; i < 6000; i++)); do
		kill -0 "$tracer" 2>/dev/null || { echo "# $1 exited: $(tail -2 "$tmp/tracer.log")" >&2; tracer=; return 1; }
		# bpftrace says "Attaching" before it attaches: count its tracepoint attachments.
		if [[ $1 == bpftrace ]]; then (($(bpftool perf list 2>/dev/null | grep -c "pid $tracer ") >= 2)) && break
		elif (($(bpf_links) > base)); then break; fi
		sleep 0.05
	done
	sleep 0.5	# past the tracer's start-up work
}

stop_tracer() {
	[[ -n $tracer ]] || return 0
	kill -INT "$tracer" 2>/dev/null
	wait "$tracer" 2>/dev/null
	tracer=
}

# measure TARGET PORT PID SMALL LARGE CONFIGS -- LOADGEN-ARGS...
measure() {
	local target=$1 port=$2 pid=$3 small=$4 large=$5 r c
	shift 5
	local configs=()
	while [[ $1 != -- ]]; do configs+=("$1"); shift; done
	shift
	local nrounds=$rounds
	# The demo's figures vary by well under 1% between rounds: two do.
	[[ $target == demo ]] && ((nrounds > 2)) && nrounds=2
	for ((r = 0; r < nrounds; r++)); do
		for c in "${configs[@]:r % ${#configs[@]}}" "${configs[@]:0:r % ${#configs[@]}}"; do
			start_tracer "$c" "$port" "$pid" || continue
			read -r a1 p1 < <(run "$target" "$small" "$pid" "$@")
			read -r a2 p2 < <(run "$target" "$large" "$pid" "$@")
			stop_tracer
			printf '{"target":"%s","config":"%s","round":%d,"all":%d,"target_only":%d}\n' "$target" "$c" "$r" \
				$(((a2 - a1) / (large - small))) $(((p2 - p1) / (large - small)))
		done
	done
}

for t in "${targets[@]}"; do
	case $t in
	nginx)
		port=18089
		nginx_start "$tmp/nginx" "$port" 1 >&2 || continue
		measure nginx "$port" "$(nginx_workers)" "${nginx_n[@]}" "${nginx_configs[@]}" -- \
			"http://127.0.0.1:$port/index.html"
		nginx_stop
		;;
	redis)
		port=18091
		command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null ||
			{ echo "# redis: redis-server or redis-benchmark missing (make deps installs them)" >&2; continue; }
		redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
			--logfile "$tmp/redis.log" >/dev/null 2>&1 &
		redis=$!
		for ((i = 0; i < 400; i++)); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
		redis-cli -p "$port" set key:__rand_int__ xyz >/dev/null 2>&1
		measure redis "$port" "$redis" "${redis_n[@]}" "${redis_configs[@]}" -- -p "$port"
		kill "$redis" && wait "$redis" 2>/dev/null
		redis=
		;;
	demo)
		port=18090
		"$BUILD/demo-infer" --port "$port" --threads 2 >"$tmp/demo.log" 2>&1 &
		demo=$!
		for ((i = 0; i < 400; i++)); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
		python3 -c 'import json; print(json.dumps({"input": [0.01 * i for i in range(64)]}))' >"$tmp/infer.json"
		measure demo "$port" "$demo" "${demo_n[@]}" "${demo_configs[@]}" -- \
			-H 'Content-Type: application/json' --body-file "$tmp/infer.json" "http://127.0.0.1:$port/v1/infer"
		kill "$demo" && wait "$demo" 2>/dev/null
		demo=
		;;
	esac
done
