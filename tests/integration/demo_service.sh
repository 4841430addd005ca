#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The demo inference service answers every endpoint, streams one SSE event per
# token as each is produced, rejects bad input with a 4xx and a JSON error, and
# stops cleanly on SIGTERM. Needs no root.
source "$(dirname "$0")/lib.sh"

bin=$BUILD/demo-infer
[[ -x $bin ]] || skip_all "$bin is not built (make BUILD=$BUILD all)"
command -v curl >/dev/null || skip_all "curl is not installed (make deps)"

tmp=$(mktemp -d)
on_exit "rm -rf '$tmp'"
port=$(free_port)
"$bin" --port "$port" --threads 2 >"$tmp/log" 2>&1 &
pid=$!
on_exit "kill -9 $pid"
if ! wait_port "$port" 20; then
	not_ok "server listens on port $port" "$(cat "$tmp/log")"
	exit 1
fi
ok "server listens on port $port"
base=http://127.0.0.1:$port
check "start-up line names port, threads and ms per forward pass" \
	grep -Eq "listening on 127.0.0.1 port $port, 2 threads, .* [0-9.]+ ms CPU per forward pass" "$tmp/log"

# request METHOD PATH [BODY-FILE]: prints the status, the body goes to $tmp/body, headers to $tmp/headers.
request() {
	local args=(-s -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' -X "$1" "$base$2")
	[[ -n ${3:-} ]] && args+=(--data-binary "@$3" -H 'Content-Type: application/json')
	curl "${args[@]}"
}
# json_check EXPR: evaluates a Python expression over the parsed body as j.
json_check() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$tmp/body" "$1"
}

[[ $(request GET /healthz) == 200 ]] && json_check 'j == {"status": "ok"}' &&
	ok "GET /healthz is 200 {\"status\":\"ok\"}" || not_ok "GET /healthz" "$(cat "$tmp/body")"

python3 -c 'import json; print(json.dumps({"input": [i / 32 - 1 for i in range(64)]}))' >"$tmp/infer.json"
status=$(request POST /v1/infer "$tmp/infer.json")
if [[ $status == 200 ]] && grep -qi '^content-type: application/json' "$tmp/headers" &&
	json_check 'len(j["output"]) == 64 and all(isinstance(x, float) for x in j["output"]) and j["argmax"] == j["output"].index(max(j["output"]))'; then
	ok "POST /v1/infer returns 64 outputs and their argmax"
else
	not_ok "POST /v1/infer" "status $status: $(head -c 300 "$tmp/body")"
fi
cp "$tmp/body" "$tmp/infer1"
request POST /v1/infer "$tmp/infer.json" >/dev/null
check "the same input gives the same output" cmp -s "$tmp/body" "$tmp/infer1"

# Two requests in one curl run share one connection.
connects=$(curl -s -o /dev/null -o /dev/null -w '%{num_connects}\n' "$base/healthz" "$base/healthz" | tr '\n' ' ')
[[ $connects == "1 0 " ]] && ok "keep-alive: the second request reuses the connection" ||
	not_ok "keep-alive" "connects per request: $connects"

# The SSE client reads the stream as it arrives and notes, with the server's
# clock (CLOCK_MONOTONIC, shared on one host), when each event came in. A
# server that buffered the stream would deliver the first event only after it
# had produced the last one.
cat >"$tmp/sse.py" <<'PY'
import json, socket, sys, time
port, tokens = int(sys.argv[1]), int(sys.argv[2])
body = json.dumps({"prompt": [40, 41, 42], "tokens": tokens}).encode()
s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.sendall(b"POST /v1/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"Content-Length: %d\r\n\r\n" % len(body) + body)
raw, arrivals, buf = b"", [], b""
head = None
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    now = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    raw += chunk
    if head is None and b"\r\n\r\n" in raw:
        head, raw = raw.split(b"\r\n\r\n", 1)
    if head is None:
        continue
    # De-chunk what is complete so far.
    while True:
        line, sep, rest = raw.partition(b"\r\n")
        if not sep:
            break
        size = int(line, 16)
        if len(rest) < size + 2:
            break
        buf += rest[:size]
        raw = rest[size + 2:]
        if size == 0:
            raw = None
            break
        while b"\n\n" in buf:
            event, buf = buf.split(b"\n\n", 1)
            arrivals.append((event.decode(), now))
    if raw is None:
        break
s.close()
events = [e for e, _ in arrivals]
headers = head.decode().lower()
assert "content-type: text/event-stream" in headers, headers
assert all(e.startswith("data: ") for e in events), events
assert events[-1] == "data: [DONE]", events[-1]
tok = [json.loads(e[6:]) for e in events[:-1]]
assert [t["index"] for t in tok] == list(range(tokens)), [t["index"] for t in tok]
assert all(0 <= t["token"] < 95 and len(t["text"]) == 1 for t in tok)
first_arrival = arrivals[0][1]
last_produced = tok[-1]["t_ns"]
print("%d %d %d" % (len(tok), first_arrival < last_produced, (last_produced - first_arrival) // 1000))
PY
if out=$(python3 "$tmp/sse.py" "$port" 16 2>&1) && [[ ${out%% *} == 16 ]]; then
	ok "POST /v1/generate streams 16 token events and [DONE]"
else
	not_ok "POST /v1/generate" "$out"
fi
if out=$(python3 "$tmp/sse.py" "$port" 256 2>&1) && [[ $(cut -d' ' -f2 <<<"$out") == 1 ]]; then
	ok "the first token arrives before the last is produced (streamed, not buffered)"
else
	not_ok "tokens are streamed as produced" "tokens, first-before-last, margin us: $out"
fi
curl -s -X POST -d '{"prompt":[1,2,3],"tokens":5}' "$base/v1/generate" >"$tmp/gen_a"
curl -s -X POST -d '{"prompt":[1,2,3],"tokens":5}' "$base/v1/generate" >"$tmp/gen_b"
sed 's/,"t_ns":[0-9]*//' "$tmp/gen_a" >"$tmp/gen_a2"
sed 's/,"t_ns":[0-9]*//' "$tmp/gen_b" >"$tmp/gen_b2"
[[ $(grep -c '^data: {' "$tmp/gen_a2") == 5 ]] && cmp -s "$tmp/gen_a2" "$tmp/gen_b2" &&
	ok "the same prompt generates the same tokens" || not_ok "generation is deterministic" "$(cat "$tmp/gen_a" "$tmp/gen_b")"

# expect_error STATUS METHOD PATH [BODY-TEXT] WHAT
expect_error() {
	local want=$1 method=$2 path=$3 body=$4 what=$5 status
	if [[ -n $body ]]; then
		printf '%s' "$body" >"$tmp/req"
		status=$(request "$method" "$path" "$tmp/req")
	else
		status=$(request "$method" "$path")
	fi
	if [[ $status == "$want" ]] && json_check "j['status'] == $want and len(j['error']) > 0"; then
		ok "$what: $want with a JSON error"
	else
		not_ok "$what" "status $status, want $want: $(head -c 200 "$tmp/body")"
	fi
}
expect_error 400 POST /v1/infer '{"input": [1, 2' "truncated JSON"
expect_error 400 POST /v1/infer 'not json at all' "malformed JSON"
expect_error 400 POST /v1/infer '' "empty body"
expect_error 400 POST /v1/infer '{"input": [1, 2, 3]}' "wrong input size"
expect_error 400 POST /v1/infer '{"input": [1, "x"]}' "non-numeric input"
expect_error 400 POST /v1/generate '{"prompt": [1], "tokens": 100000}' "too many tokens"
expect_error 400 POST /v1/generate '{"prompt": [1000]}' "token id out of vocabulary"
expect_error 404 GET /nope '' "unknown path"
expect_error 404 POST /v1/infer/extra '{}' "unknown sub-path"
expect_error 405 GET /v1/infer '' "GET on /v1/infer"
check "405 names the allowed method" grep -qi '^allow: POST' "$tmp/headers"
expect_error 405 DELETE /healthz '' "DELETE on /healthz"
head -c 70000 /dev/zero | tr '\0' '1' >"$tmp/big"
status=$(request POST /v1/infer "$tmp/big")
[[ $status == 413 ]] && json_check "j['status'] == 413" && ok "a 70 kB body: 413 with a JSON error" ||
	not_ok "oversized body" "status $status"

# Concurrent clients on the two workers; bounded: 40 requests.
curls=()
for i in $(seq 1 40); do
	curl -s -o /dev/null -w '%{http_code}\n' -X POST --data-binary "@$tmp/infer.json" "$base/v1/infer" >>"$tmp/codes" &
	curls+=($!)
done
wait "${curls[@]}"
[[ $(grep -c '^200$' "$tmp/codes") == 40 ]] && ok "40 concurrent requests all answered 200" ||
	not_ok "concurrent requests" "$(sort "$tmp/codes" | uniq -c | tr '\n' ' ')"
curl -s "$base/metrics" >"$tmp/metrics"
check "/metrics counts the forward passes" grep -Eq '^demo_forward_passes_total [1-9][0-9]*$' "$tmp/metrics"
check "the server is still alive after the bad input" kill -0 "$pid"

kill -TERM "$pid"
for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
if ! kill -0 "$pid" 2>/dev/null; then
	wait "$pid"
	rc=$?
	[[ $rc == 0 ]] && ok "SIGTERM stops the server, exit status 0" || not_ok "clean exit on SIGTERM" "exit status $rc"
else
	not_ok "SIGTERM stops the server" "still running after 5 s"
fi
check "the port is closed" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null"
check "shutdown is logged" grep -q "stopped after" "$tmp/log"
