#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# vmtest: yes
# Scheduler attribution per request, on a test server whose handler burns a
# known CPU time and sleeps a known time (tests/helpers/lg_httpd /work/CPU/SLEEP):
#   - latgov trace --sched splits each request into on-CPU ~ CPU and blocked
#     ~ SLEEP (within 20%);
#   - a handler that hands the request to another thread (/handoff) gets no
#     split, says why, and the process-wide figures are there instead;
#   - latgov flame roots the request's wall time at the endpoint: the burning
#     function on CPU, the sleeping one blocked, about the time slept;
#   - under a tight CFS quota (a cgroup v1 cpu group of the test's own) the
#     requests' wait shows as throttled, in line with the cgroup's cpu.stat.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_trace.sh"
source "$(dirname "$0")/lib_quota.sh"
need_root

[[ -x $HELPERS/lg_httpd && -x $HELPERS/lg_httpc ]] || skip_all "test helpers not built (make unit-tests)"
dir=$(mktemp -d)
on_exit "rm -rf '$dir'"

# within20 GOT WANT: GOT (us) within 20% of WANT (us).
within20() { python3 -c 'import sys; a, b = map(float, sys.argv[1:3]); sys.exit(0 if abs(a - b) <= 0.2 * b else 1)' "$1" "$2"; }

port=$(free_port)
"$HELPERS/lg_httpd" "$port" >"$dir/httpd.log" 2>&1 &
httpd=$!
on_exit "kill $httpd"
wait_port "$port" || skip_all "lg_httpd did not start"

trace_start "$dir" --sched --port "$port" --summary "$dir/summary.json" || exit 1
"$HELPERS/lg_httpc" "$port" 20 /work/20/30 >"$dir/c_work.json"
"$HELPERS/lg_httpc" "$port" 10 /handoff/10 >"$dir/c_handoff.json"
sleep 0.4	# the last records' idle flush (150 ms) and one poll
trace_stop
check "latgov trace --sched exits 0" test "$TRACE_RC" -eq 0
s=$dir/summary.json
check_count "work" "$s" "GET /work/:id/:id" 20
oncpu=$(endpoint_field "$s" "GET /work/:id/:id" oncpu_us.p50)
blocked=$(endpoint_field "$s" "GET /work/:id/:id" blocked_us.p50)
if within20 "$oncpu" 20000; then ok "on-CPU per request: $oncpu us for 20 ms burned"
else not_ok "on-CPU per request" "$oncpu us, the handler burned 20000 us"; fi
if within20 "$blocked" 30000; then ok "blocked per request: $blocked us for 30 ms slept"
else not_ok "blocked per request" "$blocked us, the handler slept 30000 us"; fi
check_count "handoff" "$s" "GET /handoff/:id" 10
check "a handed-off request gets no split" test "$(endpoint_field "$s" "GET /handoff/:id" oncpu_us)" = none
check "... and is counted as moved between threads" test "$(endpoint_field "$s" "GET /handoff/:id" multi_thread)" = 10
check "the summary table says why" grep -q "^GET /handoff/:id: no split per request" "$dir/latgov.out"
check "the process-wide figures are there instead" \
	python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["process_sched"]; sys.exit(0 if p["blocked_us"]["spans"] > 0 and p["blocked_us"]["total_ms"] > 0 else 1)' "$s"

# The latency flame, from the session's own in-flight tags.
"$LATGOV" flame --port "$port" --off-cpu -o "$dir/flame" >"$dir/flame.out" 2>"$dir/flame.err" &
fpid=$!
on_exit "kill -INT $fpid 2>/dev/null"
wait_line "$dir/flame.err" '^latgov: tracing'
"$HELPERS/lg_httpc" "$port" 20 /work/20/30 >/dev/null
sleep 0.4
kill -INT "$fpid"
wait "$fpid"
check "latgov flame exits 0" test $? -eq 0
lf=$dir/flame/latency.folded
sum() { awk -v re="$1" '$0 ~ re { s += $NF } END { print s + 0 }' "$lf"; }
check "latency.folded: the burning function on CPU under its endpoint" grep -q "^GET /work/:id/:id;\[on-cpu\];.*lg_burn_cpu" "$lf"
slept=$(sum "^GET /work/:id/:id;\\[blocked\\];.*lg_sleep_blocked")
if within20 "$slept" 600000; then ok "latency.folded: the sleeping function blocked ${slept} us for 20 x 30 ms"
else not_ok "latency.folded: blocked time of the sleeping function" "$slept us, the handler slept 600000 us"; fi
check "latency.folded: nothing after the answers (the wait for the next request is not request time)" \
	test "$(sum "^GET /work/:id/:id;\\[blocked\\];.*(sk_wait_data|ep_poll)")" -lt 20000

# Throttled: 10 ms of CPU per 100 ms for the server's cgroup (v1 here, v2 in the VM).
quota_test_cgroup 10000
CPU=$QCG
tport=$(free_port)
bash -c "echo \$\$ > $CPU/cgroup.procs; exec $HELPERS/lg_httpd $tport" >"$dir/httpd2.log" 2>&1 &
on_exit "kill $!"
wait_port "$tport" || skip_all "lg_httpd in the quota cgroup did not start"
before=$(throttled_us)
trace_start "$dir" --sched --port "$tport" --summary "$dir/summary2.json" || exit 1
"$HELPERS/lg_httpc" "$tport" 8 /work/30/0 >/dev/null
sleep 0.4
trace_stop
after=$(throttled_us)
thr=$(python3 -c 'import json,sys; e=[e for e in json.load(open(sys.argv[1]))["endpoints"] if e["name"] == "GET /work/:id/:id"]; print(int(e[0]["throttled_us"]["p50"] * 8) if e and "throttled_us" in e[0] else 0)' "$dir/summary2.json")
echo "# throttled: requests ~${thr} us (8 x p50), the cgroup's cpu.stat $((after - before)) us"
check "throttled time per request shows up under a tight quota" test "$thr" -gt 100000
if python3 -c 'import sys; a, b = map(float, sys.argv[1:3]); sys.exit(0 if b > 0 and abs(a - b) <= 0.3 * b else 1)' "$thr" "$((after - before))"; then
	ok "it agrees with the cgroup's cpu.stat within 30%"
else
	not_ok "it agrees with the cgroup's cpu.stat within 30%" "$thr us vs $((after - before)) us"
fi
