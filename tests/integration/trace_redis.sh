#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# latgov trace on Debian's redis-server, the second protocol behind the
# tracer's protocol seam: each command is an endpoint, counted exactly as
# redis-benchmark sent it (its n requests per test, plus the two CONFIG GET
# it pipelines at its start), pipelined batches (-P) included; an error
# reply is an error; each server-side p50 lies within the client's. Run on
# each hook path: arrivals (the default), reads with --sched, and the
# syscall fallback.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_trace.sh"
need_root
command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null ||
	skip_all "redis-server or redis-benchmark missing (make deps installs redis-server and redis-tools)"

dir=$(mktemp -d /tmp/latgov-test-redis.XXXXXX)
on_exit "rm -rf $dir"
port=$(free_port)
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
	--logfile "$dir/redis.log" >/dev/null 2>&1 &
redis=$!
on_exit "kill $redis; wait $redis"
for ((i = 0; i < 200; i++)); do
	redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
	sleep 0.05
done
((i < 200)) || { not_ok "redis-server starts" "$(tail -3 "$dir/redis.log")"; exit 1; }
redis-cli -p "$port" set key:__rand_int__ xyz >/dev/null

# run_mode NAME FORCE_SYSCALL_PATH LATGOV-ARGS...
run_mode() {
	local name=$1 force=$2 s p c
	shift 2
	mkdir -p "$dir/$name"
	if ! LATGOV_FORCE_SYSCALL_PATH=$force trace_start "$dir/$name" --port "$port" \
		--summary "$dir/$name/summary.json" "$@"; then
		not_ok "$name: latgov trace --port starts"
		return
	fi
	redis-benchmark -p "$port" -n 600 -c 3 -t get,set,incr --csv >"$dir/$name/bench.csv" 2>/dev/null ||
		not_ok "$name: redis-benchmark"
	redis-benchmark -p "$port" -n 400 -c 2 -P 8 -t get -q >/dev/null 2>&1 ||
		not_ok "$name: redis-benchmark -P 8"
	# WRONGTYPE: a list command on a string key.
	redis-cli -p "$port" lpush key:__rand_int__ v >/dev/null 2>&1
	trace_stop
	check "$name: latgov exits 0 after Ctrl-C" test "$TRACE_RC" -eq 0
	s=$dir/$name/summary.json
	[[ -s $s ]] || { not_ok "$name: summary written" "$(cat "$dir/$name/latgov.err")"; return; }
	check_count "$name: GET, plain and 8 pipelined per write" "$s" GET 1000
	check_count "$name: SET" "$s" SET 600
	check_count "$name: INCR" "$s" INCR 600
	check_count "$name: CONFIG GET, two per redis-benchmark run" "$s" "CONFIG GET" 4
	check_count "$name: LPUSH" "$s" LPUSH 1
	check "$name: the WRONGTYPE reply is an error" test "$(endpoint_field "$s" LPUSH errors)" -eq 1
	check "$name: no other command is an error" \
		test "$(jq_py "$s" 'sum(e["errors"] for e in d["endpoints"] if e["name"] != "LPUSH")')" -eq 0
	check "$name: nothing dropped" test "$(jq_py "$s" 'd["dropped"]')" -eq 0
	# The server's time for a command lies inside the client's (p50s, in us).
	for cmd in GET SET; do
		p=$(endpoint_field "$s" "$cmd" latency_us.p50)
		c=$(python3 -c 'import csv, sys
rows = {r["test"]: r for r in csv.DictReader(open(sys.argv[1]))}
print(float(rows[sys.argv[2]]["p50_latency_ms"]) * 1000)' "$dir/$name/bench.csv" "$cmd")
		if python3 -c "import sys; sys.exit(0 if 0 < $p <= $c + 100 else 1)"; then
			ok "$name: $cmd p50 lies within the client's: latgov $p us, redis-benchmark $c us"
		else
			not_ok "$name: $cmd p50" "latgov $p us, redis-benchmark $c us"
		fi
	done
}

run_mode arrivals 0
run_mode reads 0 --sched
run_mode syscalls 1
