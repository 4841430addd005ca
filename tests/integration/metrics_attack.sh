#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# /metrics under a slow-connection attack from a local user: 1,000 connections
# held open from 127.0.0.1, half idle after connecting, half sending a request
# line one byte at a time and never ending it, each one the server closes
# opened again. Meanwhile a scraper that sends a whole GET /metrics on a fresh
# connection must get its answer (the same metric families as before the
# attack) within 2 s every time (see SCRAPE_TIMEOUT), other paths still get
# 404, latgov's open descriptors stay within the server's bound, and latgov
# still ends at -d with its summary. latgov runs with the usual descriptor
# limit (1024).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_trace.sh"
need_root
command -v curl >/dev/null || skip_all "curl not installed"

CONNS=1000
# What the server may hold on top of what latgov had open before the attack:
# its connections (METRICS_MAX_CONNS, metrics.h).
SERVER_CONNS=64
# A few more for files latgov opens and closes by itself while it runs.
FD_SLACK=8
# The requirement is 2 s; the client waits 3. The server guarantees service
# (metrics.h): a scraper's connection, its request already in, is accepted
# within a turn of the server's and answered on that turn, and no later
# connection can evict it; so a scrape never waits on the attack, and the
# extra second only absorbs a machine busy with other work. Today's server
# holds a scrape off for as long as the attack lasts: 3 s fails it as 2 s does.
# Scrapes over 2 s are reported.
SCRAPE_TIMEOUT=3
DURATION=8

ulimit -S -n 1024
dir=$(mktemp -d /tmp/latgov-test-metrics-attack.XXXXXX)
on_exit "rm -rf $dir"
sleep 60 &
target=$!
on_exit "kill $target 2>/dev/null; wait $target 2>/dev/null"
mport=$(free_port)

cat >"$dir/attack.py" <<'PY'
# attack.py PORT CONNS SECONDS: holds CONNS slow connections to 127.0.0.1:PORT
# until SIGTERM or SECONDS pass; prints "ready" once all are connected, then at
# the end "opened N closed_by_server N".
import errno, resource, selectors, signal, socket, sys, time

port, want, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
need = want + 64
if soft < need:
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, max(need, hard)))
PARTIAL = b"GET /metrics" + b"x" * 4096	# a request line that never ends, its first byte at once
TRICKLE_EVERY = 0.5
REOPEN_PER_S = 1000
TICK = 0.05

sel = selectors.DefaultSelector()
conns = {}	# socket -> [trickles, bytes sent, next send time]
opened = closed = reopen = 0
allowance, last = 0.0, time.monotonic()
stop = False

def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)

def open_one(i, now):
    global opened
    s = socket.socket()
    s.setblocking(False)
    e = s.connect_ex(("127.0.0.1", port))
    if e not in (0, errno.EINPROGRESS):
        s.close()
        return False
    conns[s] = [i % 2 == 1, 0, now]
    sel.register(s, selectors.EVENT_READ)
    opened += 1
    return True

def drop(s):
    global closed, reopen
    sel.unregister(s)
    del conns[s]
    s.close()
    closed += 1
    reopen += 1

end = time.monotonic() + seconds
now = time.monotonic()
for i in range(want):
    if not open_one(i, now):
        reopen += 1
print("ready", len(conns), flush=True)
while not stop and now < end:
    for key, _ in sel.select(TICK):
        try:
            got = key.fileobj.recv(4096)
        except OSError:
            got = b""
        if not got:
            drop(key.fileobj)
    now = time.monotonic()
    for s, c in list(conns.items()):
        if c[0] and c[2] <= now and c[1] < len(PARTIAL):
            try:
                s.send(PARTIAL[c[1]:c[1] + 1])
                c[1] += 1
            except BlockingIOError:
                pass
            except OSError:
                drop(s)
                continue
            c[2] = now + TRICKLE_EVERY
    allowance = min(allowance + (now - last) * REOPEN_PER_S, REOPEN_PER_S * TICK)
    last = now
    n = min(reopen, int(allowance))
    allowance -= n
    for i in range(n):
        if open_one(opened + i, now):
            reopen -= 1
for s in list(conns):
    s.close()
print("opened", opened, "closed_by_server", closed, flush=True)
PY

# fds: latgov's open descriptors now.
fds() { ls "/proc/$TRACE_PID/fd" 2>/dev/null | wc -l; }

# scrape PATH OUT: one request on a fresh connection; prints "HTTP_CODE SECONDS"
# (code 000 if it did not complete within SCRAPE_TIMEOUT).
scrape() {
	curl -s -o "$2" -w '%{http_code} %{time_total}' --max-time "$SCRAPE_TIMEOUT" \
		"http://127.0.0.1:$mport$1" 2>/dev/null
}

# families FILE: the metric families a /metrics text declares.
families() { grep '^# TYPE ' "$1" | sort; }

trace_start "$dir" -p "$target" --metrics "127.0.0.1:$mport" -d "$DURATION" \
	--summary "$dir/summary.json" || { not_ok "latgov trace starts"; exit 1; }
read -r code _ < <(scrape /metrics "$dir/before")
if [[ $code != 200 ]]; then
	not_ok "/metrics is served before the attack" "HTTP $code"
	exit 1
fi
base=$(fds)

python3 "$dir/attack.py" "$mport" "$CONNS" 30 >"$dir/attack.out" 2>"$dir/attack.err" &
attacker=$!
on_exit "kill $attacker 2>/dev/null; wait $attacker 2>/dev/null"
if ! wait_line "$dir/attack.out" "^ready $CONNS\$" 10; then
	not_ok "the attacker connects $CONNS times" "$(cat "$dir/attack.out" "$dir/attack.err")"
	exit 1
fi
ok "the attacker holds $CONNS slow connections"

# Until latgov holds some of them: the kernel keeps a silent connection from it for a while.
for ((i = 0; i < 100; i++)); do
	(($(fds) >= base + 16)) && break
	sleep 0.05
done
if (($(fds) < base + 16)); then
	not_ok "the attack reaches latgov" "it holds $(fds) descriptors, $base before the attack"
	exit 1
fi
# Samples latgov's descriptors while the scrapes go on.
(while kill -0 "$TRACE_PID" 2>/dev/null; do fds; sleep 0.05; done) >"$dir/fds" &
sampler=$!
on_exit "kill $sampler 2>/dev/null"
served=0
times=()
# Spread over the attack's first seconds, the scrapes meet each of its phases: the
# trickling connections at once, the silent ones after a second, the first deadlines.
for ((i = 1; i <= 5; i++)); do
	((i > 1)) && sleep 0.5
	read -r code secs < <(scrape /metrics "$dir/scrape$i")
	times+=("${secs:-none}")
	[[ $code == 200 ]] && python3 -c 'import sys; sys.exit(float(sys.argv[1]) <= 2)' "$secs" &&
		echo "# scrape $i under attack took $secs s, over the 2 s required: a busy machine?"
	if [[ $code == 200 ]] && [[ $(families "$dir/scrape$i") == "$(families "$dir/before")" ]]; then
		served=$((served + 1))
	else
		echo "# scrape $i under attack: HTTP ${code:-none} after ${secs:-?} s"
	fi
done
echo "# scrape times under attack (s): ${times[*]}"
if ((served == 5)); then
	ok "5 of 5 scrapes under attack answered with the same metrics"
else
	not_ok "scrapes under attack" "$served of 5 answered within ${SCRAPE_TIMEOUT}s"
fi
read -r code _ < <(scrape /other "$dir/other")
check "another path under attack: 404 (got ${code:-none})" test "$code" = 404
kill "$sampler" 2>/dev/null
wait "$sampler" 2>/dev/null
max_fds=$(sort -n "$dir/fds" | tail -n 1)
bound=$((base + SERVER_CONNS + FD_SLACK))
what="latgov's descriptors under attack: at most $max_fds in $(wc -l <"$dir/fds") samples"
if ((max_fds <= bound)); then
	ok "$what (before $base, bound $bound)"
else
	not_ok "latgov's descriptors under attack" "$max_fds open, before the attack $base, bound $bound"
fi

# latgov ends at -d with the attack still on.
for ((i = 0; i < (DURATION + 10) * 10; i++)); do
	kill -0 "$TRACE_PID" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$TRACE_PID" 2>/dev/null; then
	not_ok "latgov ends at -d $DURATION under attack" "still running $((DURATION + 10)) s later"
	kill -9 "$TRACE_PID" 2>/dev/null
fi
trace_wait
check "latgov exits 0 under attack (status $TRACE_RC)" test "$TRACE_RC" -eq 0
# Out of descriptors, latgov could not even tell that its target still ran.
ran=$(jq_py "$dir/summary.json" 'd["duration_s"]' 2>/dev/null)
check "latgov ran until -d $DURATION and wrote its summary (${ran:-no summary} s)" python3 -c \
	'import sys; sys.exit(float(sys.argv[1]) < float(sys.argv[2]) - 0.2)' "${ran:-0}" "$DURATION"
kill "$attacker" 2>/dev/null
wait "$attacker"
echo "# attacker: $(tail -n 1 "$dir/attack.out")"
