#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# latgov trace --port against nginx (Debian's nginx-light, our own config, one
# worker, sendfile on): exact counts over keep-alive, new connections with a
# 1 MiB sendfile answer, HTTP/1.0, pipelining, and a connection opened before
# latgov attached; latencies within 5% + 100 us of the client's own.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_trace.sh"
source "$(dirname "$0")/lib_nginx.sh"
nginx_fixture trace
for f in a b c p; do printf 'file %s\n' "$f" >"$dir/www/$f.txt"; done

mkfifo "$dir/go"
"$HELPERS/lg_httpc" "$port" 50 /c.txt --hold <"$dir/go" >"$dir/c_pre.json" 2>"$dir/c_pre.err" &
pre=$!
on_exit "kill $pre"
exec 7>"$dir/go"
wait_line "$dir/c_pre.err" ready 5

mport=$(free_port)
trace_start "$dir" --port "$port" -i 1 --summary "$dir/summary.json" --metrics "127.0.0.1:$mport" ||
	{ not_ok "latgov trace --port starts"; exit 1; }
grep -q 'tracing 2 processes' "$dir/latgov.err" && ok "--port finds the master and the worker" ||
	not_ok "--port finds the master and the worker" "$(head -1 "$dir/latgov.err")"

"$HELPERS/lg_httpc" "$port" 2000 /a.txt >"$dir/c_keep.json" || not_ok "keep-alive client"
"$HELPERS/lg_httpc" "$port" 60 /big.bin --new >"$dir/c_big.json" || not_ok "sendfile client"
"$HELPERS/lg_httpc" "$port" 30 /b.txt --http10 >"$dir/c_10.json" || not_ok "HTTP/1.0 client"
"$HELPERS/lg_httpc" "$port" 200 /p.txt --pipeline 4 >"$dir/c_pipe.json" || not_ok "pipelining client"
# /metrics while tracing: the keep-alive requests are in a closed window by now or soon.
for ((i = 0; i < 40; i++)); do
	python3 -c 'import sys,urllib.request
t = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=2).read().decode()
sys.exit(0 if "latgov_requests_total{endpoint=\"GET /a.txt\"" in t else 1)' "$mport" 2>/dev/null && break
	sleep 0.1
done
((i < 40)) && ok "--metrics serves Prometheus text with the endpoint" || not_ok "--metrics" "no latgov_requests_total for GET /a.txt at 127.0.0.1:$mport/metrics"
echo go >&7
wait $pre || not_ok "pre-existing connection client"
exec 7>&-
trace_stop

check "latgov exits 0 after Ctrl-C" test "$TRACE_RC" -eq 0
[[ -s $dir/summary.json ]] || { not_ok "summary written" "$(cat "$dir/latgov.err")"; exit 1; }
s=$dir/summary.json
check_count "keep-alive" "$s" "GET /a.txt" 2000
check_count "new connections, 1 MiB by sendfile" "$s" "GET /big.bin" 60
check_count "HTTP/1.0" "$s" "GET /b.txt" 30
check_count "pre-existing connection" "$s" "GET /c.txt" 50
check_count "pipelined, 4 per write" "$s" "GET /p.txt" 200
check "nothing dropped" test "$(jq_py "$s" 'd["dropped"]')" -eq 0
check_near "keep-alive p50" "$s" "GET /a.txt" latency_us.p50 "$dir/c_keep.json" latency_us.p50
check_near "keep-alive p99" "$s" "GET /a.txt" latency_us.p99 "$dir/c_keep.json" latency_us.p99
# A 1 MiB answer ends, for latgov, when nginx hands its last byte to the
# kernel; the client still reads a socket buffer's worth after that, on a CPU
# nginx keeps busy copying. So only nesting holds: the server's interval lies
# inside the client's.
lat=$(endpoint_field "$s" "GET /big.bin" latency_us.p50)
cli=$(jq_py "$dir/c_big.json" 'd["latency_us"]["p50"]')
if python3 -c "import sys; sys.exit(0 if 0 < $lat <= $cli + 100 else 1)"; then
	ok "sendfile p50 lies within the client's: latgov $lat us, client $cli us"
else
	not_ok "sendfile p50" "latgov $lat us, client $cli us"
fi
check_near "HTTP/1.0 p50" "$s" "GET /b.txt" latency_us.p50 "$dir/c_10.json" latency_us.p50
bytes=$(endpoint_field "$s" "GET /big.bin" bytes_out)
check "sendfile bytes counted ($bytes >= 60 MiB)" test "$bytes" -ge $((60 * 1048576))
