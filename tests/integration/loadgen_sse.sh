#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# loadgen on streamed answers from a small Python server on loopback: SSE over
# chunked encoding (keep-alive) and SSE delimited by the connection's close
# (HTTP/1.0 style). Every event and chunk is counted, the time to first byte
# comes before the last byte, and the gaps between tokens are reported. The
# same server also hangs (timeouts) and answers garbage (malformed), which are
# counted, not fatal. No root needed.
source "$(dirname "$0")/lib.sh"

LOADGEN=$BUILD/loadgen
[[ -x $LOADGEN ]] || skip_all "no $LOADGEN: build it with make"
command -v python3 >/dev/null || skip_all "no python3 (make deps)"

tmp=$(mktemp -d /tmp/loadgen-sse.XXXXXX)
on_exit "rm -rf '$tmp'"
port=$(free_port)
cat >"$tmp/sse.py" <<'PY'
import sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKENS = 5

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(TOKENS):
                ev = ("data: token%d\n\n" % i).encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(ev), ev))
                self.wfile.flush()
                time.sleep(0.01)    # the service's per-token work, not synchronisation
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/close":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            for i in range(TOKENS):
                self.wfile.write(("event: token\ndata: %d\n\n" % i).encode())
                self.wfile.flush()
                time.sleep(0.01)
            self.close_connection = True
        elif self.path == "/hang":
            time.sleep(3)           # longer than the client's --timeout
        elif self.path == "/garbage":
            self.wfile.write(b"NOT-HTTP 200\r\n\r\n")
            self.close_connection = True
        else:
            self.send_error(404)

ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
PY
python3 "$tmp/sse.py" "$port" &
srv=$!
on_exit "kill $srv; wait $srv"
wait_port "$port" 10 || { not_ok "SSE server listens on 127.0.0.1:$port"; exit 1; }

jget() {
	python3 -c 'import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v=v[int(k)] if isinstance(v,list) else v[k]
print(v)' "$1" "$2"
}

"$LOADGEN" --closed 4 -n 40 -d 20s -q --summary "$tmp/chunked.json" "http://127.0.0.1:$port/chunked"
check "chunked SSE: 40 completed, no errors" \
	test "$(jget "$tmp/chunked.json" loadgen.completed)/$(jget "$tmp/chunked.json" errors)" = 40/0
check "chunked SSE: 40 streams" test "$(jget "$tmp/chunked.json" endpoints.0.streamed)" -eq 40
check "chunked SSE: 5 chunks and 5 events each" \
	test "$(jget "$tmp/chunked.json" endpoints.0.chunks)/$(jget "$tmp/chunked.json" endpoints.0.events)" = 200/200
check "chunked SSE: first byte before the last, gaps reported" python3 -c '
import json,sys
e=json.load(open(sys.argv[1]))["endpoints"][0]
assert e["ttfb_us"]["p50"] < e["latency_us"]["p50"], e
assert "gap_us" in e and e["gap_us"]["max"] > 0, e
' "$tmp/chunked.json"

"$LOADGEN" --closed 2 -n 20 -d 20s -q --summary "$tmp/close.json" "http://127.0.0.1:$port/close"
check "close-delimited SSE: 20 completed, no errors" \
	test "$(jget "$tmp/close.json" loadgen.completed)/$(jget "$tmp/close.json" errors)" = 20/0
check "close-delimited SSE: 5 events each" test "$(jget "$tmp/close.json" endpoints.0.events)" -eq 100

"$LOADGEN" --closed 1 -n 3 -d 20s -q --summary "$tmp/404.json" "http://127.0.0.1:$port/nope"
check "404 answers are completed and counted by status" \
	test "$(jget "$tmp/404.json" loadgen.completed)/$(jget "$tmp/404.json" loadgen.status.404)" = 3/3

"$LOADGEN" --closed 1 -n 2 -d 20s --timeout 300ms -q --summary "$tmp/hang.json" "http://127.0.0.1:$port/hang"
rc=$?
check "a hanging server: exit 0" test "$rc" -eq 0
check "a hanging server: 2 timeouts, counted as errors" \
	test "$(jget "$tmp/hang.json" loadgen.timeouts)/$(jget "$tmp/hang.json" errors)" = 2/2

"$LOADGEN" --closed 1 -n 3 -d 20s -q --summary "$tmp/garbage.json" "http://127.0.0.1:$port/garbage"
check "garbage answers: 3 malformed, counted as errors" \
	test "$(jget "$tmp/garbage.json" loadgen.malformed)/$(jget "$tmp/garbage.json" errors)" = 3/3
