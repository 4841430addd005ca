#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# latgov trace against our own test server (tests/helpers/lg_httpd): every
# request a client sends is counted exactly, over keep-alive, new
# connections, HTTP/1.0 close-delimited answers, multi-write answers on a
# connection opened before latgov attached, pipelined requests, streamed
# (SSE) answers, 503s and client resets;
# latencies agree with the client's own within 5% + 100 us; a stream shows
# its chunk count and a TTFB within 1 ms of the client's.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_trace.sh"
need_root
[[ -x $HELPERS/lg_httpd && -x $HELPERS/lg_httpc ]] || skip_all "test helpers not built (make unit-tests)"

dir=$(mktemp -d /tmp/latgov-test-trace.XXXXXX)
on_exit "rm -rf $dir"
port=$(free_port)
"$HELPERS/lg_httpd" "$port" &
srv=$!
on_exit "kill $srv"
wait_port "$port" || { not_ok "lg_httpd listens on $port"; exit 1; }

# A connection opened (and used once) before latgov attaches.
mkfifo "$dir/go"
"$HELPERS/lg_httpc" "$port" 50 /multi/3 --hold <"$dir/go" >"$dir/c_pre.json" 2>"$dir/c_pre.err" &
pre=$!
on_exit "kill $pre"
exec 7>"$dir/go"
wait_line "$dir/c_pre.err" ready 5

trace_start "$dir" -p "$srv" -i 1 --summary "$dir/summary.json" --json "$dir/windows.jsonl" ||
	{ not_ok "latgov trace starts"; exit 1; }

# Path lists of 50: 49 fast, 1 slow. p99 of 300 (or 200) requests then falls
# in the middle of the slow group, a figure of the server, not in the tail of
# the client's own wake-ups on a busy 2-CPU machine.
mix() { printf "$1,%.0s" {1..49}; printf '%s' "$2"; }
# Stays open and idle after its last answer: that one must come through the idle flush.
"$HELPERS/lg_httpc" "$port" 300 "$(mix /sleep/1 /sleep/5)" --linger 600 >"$dir/c_keep.json" || not_ok "keep-alive client"
"$HELPERS/lg_httpc" "$port" 200 "$(mix /hello /hello?sleep=4)" --new >"$dir/c_new.json" || not_ok "new-connection client"
"$HELPERS/lg_httpc" "$port" 6 /stream/8/5 >"$dir/c_stream.json" || not_ok "stream client"
# Pauses longer than the idle flush (150 ms): an unfinished chunked stream must wait.
"$HELPERS/lg_httpc" "$port" 2 /sse/3/250 --linger 400 >"$dir/c_slow.json" || not_ok "slow stream client"
# Pipelined: 4 requests per write, read by one recv; answered (404) one send each.
"$HELPERS/lg_httpc" "$port" 120 /pipe --pipeline 4 >"$dir/c_pipe.json" || not_ok "pipelining client"
"$HELPERS/lg_httpc" "$port" 30 /close --http10 >"$dir/c_close.json" || not_ok "HTTP/1.0 client"
"$HELPERS/lg_httpc" "$port" 25 /fail >/dev/null || not_ok "503 client"
# Reset by the client while the server still works on the answer.
"$HELPERS/lg_httpc" "$port" 10 "/abort?sleep=100" --abort 20 >/dev/null || not_ok "resetting client"
echo go >&7
wait $pre || not_ok "pre-existing connection client"
exec 7>&-
trace_stop

check "latgov exits 0 after Ctrl-C" test "$TRACE_RC" -eq 0
[[ -s $dir/summary.json ]] || { not_ok "summary written" "$(cat "$dir/latgov.err")"; exit 1; }
s=$dir/summary.json
check_count "keep-alive" "$s" "GET /sleep/:id" 300
check_count "new connections" "$s" "GET /hello" 200
check_count "pre-existing connection, 3 writes per answer" "$s" "GET /multi/:id" 50
check_count "streamed" "$s" "GET /stream/:id/:id" 6
check_count "HTTP/1.0 close-delimited" "$s" "GET /close" 30
check_count "pipelined, 4 per write" "$s" "GET /pipe" 120
check_count "503 answers" "$s" "GET /fail" 25
check "503 answers are errors" test "$(endpoint_field "$s" "GET /fail" errors)" -eq 25
check_count "requests reset by the client" "$s" "GET /abort" 10
check "resets are counted as such" test "$(endpoint_field "$s" "GET /abort" resets)" -eq 10
check "nothing dropped" test "$(jq_py "$s" 'd["dropped"]')" -eq 0

check_near "keep-alive p50" "$s" "GET /sleep/:id" latency_us.p50 "$dir/c_keep.json" latency_us.p50
check_near "keep-alive p99" "$s" "GET /sleep/:id" latency_us.p99 "$dir/c_keep.json" latency_us.p99
check_near "new connections p50" "$s" "GET /hello" latency_us.p50 "$dir/c_new.json" latency_us.p50
check_near "new connections p99" "$s" "GET /hello" latency_us.p99 "$dir/c_new.json" latency_us.p99
check_near "pre-existing p50" "$s" "GET /multi/:id" latency_us.p50 "$dir/c_pre.json" latency_us.p50

r=$dir/records.jsonl
writes=$(python3 -c 'import json,sys
w = sorted({json.loads(l)["resp_writes"] for l in open(sys.argv[1]) if json.loads(l)["endpoint"] == "GET /stream/:id/:id"})
print(",".join(map(str, w)))' "$r")
if [[ $writes == 8 ]]; then ok "stream: 8 chunks in every response"; else not_ok "stream chunk count" "latgov saw $writes writes, the server made 8"; fi
check "the summary gives the chunks per stream (8)" python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) == 8 else 1)" "$(endpoint_field "$s" "GET /stream/:id/:id" chunks_per_stream)"
writes=$(python3 -c 'import json,sys
w = sorted({json.loads(l)["resp_writes"] for l in open(sys.argv[1]) if json.loads(l)["endpoint"] == "GET /sse/:id/:id"})
print(",".join(map(str, w)))' "$r")
if [[ $writes == 3 ]]; then ok "stream pausing 250 ms between chunks: 3 chunks in every response"
else not_ok "slow stream chunk count" "latgov saw $writes writes, the server made 3"; fi
check_count "slow stream" "$s" "GET /sse/:id/:id" 2
t_lat=$(endpoint_field "$s" "GET /stream/:id/:id" ttfb_us.p50)
t_cli=$(jq_py "$dir/c_stream.json" 'd["ttfb_us"]["p50"]')
if python3 -c "import sys; sys.exit(0 if abs($t_lat - $t_cli) <= 1000 else 1)"; then
	ok "stream TTFB: latgov $t_lat us, client $t_cli us"
else
	not_ok "stream TTFB" "latgov $t_lat us, client $t_cli us: more than 1 ms apart"
fi
pre=$(python3 -c 'import json,sys
f = [json.loads(l) for l in open(sys.argv[1])]
print(sum(1 for r in f if r["endpoint"] == "GET /multi/:id" and r["flags"] & 1 and r["resp_writes"] == 3))' "$r")
check "pre-existing connection: 50 requests, flagged, 3 writes each ($pre)" test "$pre" -eq 50
flushed=$(python3 -c 'import json,sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["endpoint"] == "GET /sleep/:id" and json.loads(l)["end_reason"] == 4))' "$r")
check "the idle keep-alive connection's last request was flushed ($flushed), counted once" test "$flushed" -ge 1
sum=$(python3 -c 'import json,sys
print(sum(e["requests"] for l in open(sys.argv[1]) for e in json.loads(l)["endpoints"]))' "$dir/windows.jsonl")
check "--json windows add up to the summary ($sum)" test "$sum" -eq "$(jq_py "$s" 'd["requests"]')"
# Not asserted (no timings in tests): how late records reached user space.
python3 -c 'import json,sys
d = [json.loads(l) for l in open(sys.argv[1])]
late = sorted((r["delivered_ns"] - max(r["t_last_resp_ns"], r["t_read_ns"]), r["endpoint"], r["end_reason"]) for r in d)
print("# delivery delay after the last response byte: p50 %.1f ms, max %.1f ms (%s, end reason %d), flushed %d of %d" % (late[len(late)//2][0]/1e6, late[-1][0]/1e6, late[-1][1], late[-1][2], sum(r["end_reason"] == 4 for r in d), len(d)))' "$r"
