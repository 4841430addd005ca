#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# loadgen against a private nginx on loopback: a fixed open-loop rate is held
# and counted exactly (completed == nginx access-log lines), closed loop with
# -n, Connection: close and chunked responses, refused connections counted
# rather than fatal, Ctrl-C still writes the summary, and bad input exits 2.
# No root needed.
source "$(dirname "$0")/lib.sh"

LOADGEN=$BUILD/loadgen
NGINX=/usr/sbin/nginx
[[ -x $LOADGEN ]] || skip_all "no $LOADGEN: build it with make"
[[ -x $NGINX ]] || skip_all "no $NGINX: install nginx-light (make deps)"

tmp=$(mktemp -d /tmp/loadgen-nginx.XXXXXX)
on_exit "rm -rf '$tmp'"
port=$(free_port)
mkdir -p "$tmp/www/close" "$tmp/www/gz"
echo hello >"$tmp/www/index.html"
echo bye >"$tmp/www/close/index.html"
# big enough for gzip to stream it in chunks
seq 1 20000 >"$tmp/www/gz/big.txt"
cat >"$tmp/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/error.log;
events { worker_connections 1024; }
http {
	access_log $tmp/access.log;
	client_body_temp_path $tmp;
	proxy_temp_path $tmp;
	fastcgi_temp_path $tmp;
	uwsgi_temp_path $tmp;
	scgi_temp_path $tmp;
	default_type text/plain;
	server {
		listen 127.0.0.1:$port;
		root $tmp/www;
		location /close/ { keepalive_timeout 0; }
		location /gz/ { gzip on; gzip_types text/plain; gzip_min_length 0; }
	}
}
CONF
"$NGINX" -c "$tmp/nginx.conf" -p "$tmp" &
nginx_pid=$!
on_exit "kill $nginx_pid; wait $nginx_pid"
wait_port "$port" 10 || { not_ok "nginx listens on 127.0.0.1:$port" "see $tmp/error.log"; exit 1; }

log_lines() { wc -l <"$tmp/access.log"; }

# Prints the value of a dotted key path of a JSON file, e.g. loadgen.completed.
jget() {
	python3 -c 'import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v=v[int(k)] if isinstance(v,list) else v[k]
print(v)' "$1" "$2"
}

# 1. Open loop at 200 req/s for 3 s: 600 requests, each one logged by nginx.
before=$(log_lines)
"$LOADGEN" --rate 200 -d 3s -c 8 --jsonl "$tmp/lg.jsonl" --summary "$tmp/sum.json" -q \
	"http://127.0.0.1:$port/index.html" 2>"$tmp/err1"
rc=$?
check "open loop exits 0" test "$rc" -eq 0
completed=$(jget "$tmp/sum.json" loadgen.completed)
after=$(log_lines)
if ((completed >= 588 && completed <= 612)); then
	ok "open loop at 200 req/s for 3 s completed $completed (600 +-2%)"
else
	not_ok "open loop at 200 req/s for 3 s completed $completed" "want 600 +-2%"
fi
check "completed ($completed) == nginx access log lines ($((after - before)))" \
	test "$completed" -eq "$((after - before))"
check "no errors or drops" test "$(jget "$tmp/sum.json" errors)/$(jget "$tmp/sum.json" dropped)" = 0/0
check "summary names the endpoint like latgov" test "$(jget "$tmp/sum.json" endpoints.0.name)" = "GET /index.html"
check "summary has latency and TTFB quantiles" python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))["endpoints"][0]
for k in ("latency_us","ttfb_us"):
    q=d[k]
    assert all(f in q for f in ("p50","p90","p99","p999","max","mean")), q
    assert 0 < q["p50"] <= q["p99"] <= q["max"], q
' "$tmp/sum.json"
check "one JSONL line per second with the rate fields" python3 -c '
import json,sys
lines=[json.loads(l) for l in open(sys.argv[1])]
assert 3 <= len(lines) <= 4, len(lines)
for l in lines:
    for k in ("t","intended_rps","achieved_rps","completed","errors","timeouts","latency_us","ttfb_us"):
        assert k in l, (k, l)
assert sum(l["completed"] for l in lines) == int(sys.argv[2])
' "$tmp/lg.jsonl" "$completed"

# 2. Closed loop with -n stops at exactly n requests.
before=$(log_lines)
"$LOADGEN" --closed 4 -n 1000 -d 10s -q --summary "$tmp/closed.json" "http://127.0.0.1:$port/index.html"
check "closed loop -n 1000 completes 1000" test "$(jget "$tmp/closed.json" loadgen.completed)" -eq 1000
check "closed loop: nginx logged 1000" test "$(($(log_lines) - before))" -eq 1000

# 3. Connection: close on every answer: reconnects, nothing lost.
"$LOADGEN" --closed 2 -n 200 -d 10s -q --summary "$tmp/close.json" "http://127.0.0.1:$port/close/"
check "Connection: close answers: 200 completed, 0 errors" \
	test "$(jget "$tmp/close.json" loadgen.completed)/$(jget "$tmp/close.json" errors)" = 200/0

# 4. Chunked answers (gzip streams the file in chunks).
"$LOADGEN" --closed 2 -n 50 -d 10s -q -H 'Accept-Encoding: gzip' --summary "$tmp/gz.json" \
	"http://127.0.0.1:$port/gz/big.txt"
check "chunked answers: 50 completed as streams" \
	test "$(jget "$tmp/gz.json" loadgen.completed)/$(jget "$tmp/gz.json" endpoints.0.streamed)" = 50/50
check "chunked answers: chunks counted" test "$(jget "$tmp/gz.json" endpoints.0.chunks)" -ge 50

# 4b. A 1 MB body: written across many partial writes; nginx answers 405 (maybe
# before reading it all), and every request is still counted once.
head -c 1000000 /dev/zero >"$tmp/body"
before=$(log_lines)
"$LOADGEN" --closed 2 -n 20 -d 20s -q --body-file "$tmp/body" --summary "$tmp/post.json" \
	"http://127.0.0.1:$port/index.html"
check "1 MB POST bodies: 20 answers with status 405" \
	test "$(jget "$tmp/post.json" loadgen.completed)/$(jget "$tmp/post.json" loadgen.status.405)" = 20/20
check "1 MB POST bodies: nginx logged 20" test "$(($(log_lines) - before))" -eq 20

# 5. Nobody listening: refusals are counted, the run still ends with a summary.
dead=$(free_port)
"$LOADGEN" --rate 50 -d 1s -c 2 -q --summary "$tmp/dead.json" "http://127.0.0.1:$dead/"
rc=$?
check "refused connections are not fatal (exit 0)" test "$rc" -eq 0
check "refused connections counted" test "$(jget "$tmp/dead.json" loadgen.connect_errors)" -gt 0
check "unsent requests counted as dropped" test "$(jget "$tmp/dead.json" dropped)" -eq 50

# 6. Ctrl-C ends early and still writes the summary.
"$LOADGEN" --rate 100 -d 30s -q --summary "$tmp/int.json" "http://127.0.0.1:$port/" &
lg_pid=$!
on_exit "kill $lg_pid"
# Interrupt once the run is under way: some requests have reached nginx (bounded wait).
before=$(log_lines)
for ((i = 0; i < 200; i++)); do
	(($(log_lines) > before + 20)) && break
	sleep 0.05
done
kill -INT "$lg_pid"
wait "$lg_pid"
rc=$?
check "SIGINT: exit 0" test "$rc" -eq 0
check "SIGINT: summary says interrupted" test "$(jget "$tmp/int.json" loadgen.interrupted)" = True
check "SIGINT: ended long before -d" python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["duration_s"] < 20' "$tmp/int.json"

# 7. Bad input is a clear error with exit status 2.
"$LOADGEN" --rate 10 -d 1s "http://192.0.2.1/" 2>"$tmp/e1"
rc=$?
check "non-loopback URL: exit 2" test "$rc" -eq 2
check "non-loopback URL: says why" grep -q "not loopback" "$tmp/e1"
"$LOADGEN" --schedule "step:100@10s,abc@5s" "http://127.0.0.1:$port/" 2>"$tmp/e2"
rc=$?
check "bad schedule: exit 2" test "$rc" -eq 2
check "bad schedule: line:column" grep -q -- "--schedule:1:14: bad rate 'abc'" "$tmp/e2"
printf '100@1s\nramp:1-2@\n' >"$tmp/bad.sched"
"$LOADGEN" --schedule-file "$tmp/bad.sched" "http://127.0.0.1:$port/" 2>"$tmp/e3"
rc=$?
check "bad schedule file: exit 2 with file:line:column" \
	grep -q "bad.sched:2:10: bad duration" "$tmp/e3"
check "bad schedule file: exit status 2" test "$rc" -eq 2
