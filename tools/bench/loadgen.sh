#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# loadgen's own throughput and rate accuracy against a private nginx (1 worker,
# tiny file, loopback only):
#   - closed loop: requests/s, and requests/s per core of loadgen's own CPU
#     time (user+system: on loopback the sender also pays for TCP receive
#     processing in softirq), next to wrk on the same nginx as the reference;
#   - open loop: a target rate (60% of the closed-loop figure, at most 100k/s,
#     so that a noisy shared machine still has headroom) held for the run:
#     sent/s is loadgen's side, achieved = completed / duration the whole
#     loop's, and the error of achieved against the target in %.
# Prints one JSON object on stdout: {"closed_rps","open_target","open_achieved",
# ...,"name","title","figures":[...]} (the figures in tools/bench/run.sh's
# format), progress on stderr. Runnable alone; bounded; cleans up.
#
#   tools/bench/loadgen.sh                 (BENCH_SMOKE=1: one short round)
#   LOADGEN_ROUNDS=N LOADGEN_SECONDS=S     to change the size (default 3 x 5 s)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
LOADGEN=$BUILD/loadgen
NGINX=${NGINX_BIN:-/usr/sbin/nginx}
rounds=${LOADGEN_ROUNDS:-3}
secs=${LOADGEN_SECONDS:-5}
((${BENCH_SMOKE:-0})) && rounds=1 secs=1
conns=32

log() { echo "[$(date +%T)] $*" >&2; }
[[ -x $LOADGEN ]] || { echo "loadgen.sh: no $LOADGEN: run 'make' (or set BUILD=)" >&2; exit 2; }
[[ -x $NGINX ]] || { echo "loadgen.sh: no $NGINX: install nginx-light ('make deps')" >&2; exit 2; }

tmp=$(mktemp -d /tmp/bench-loadgen.XXXXXX)
nginx_pid=
cleanup() {
	if [[ -n $nginx_pid ]]; then
		kill -QUIT "$nginx_pid" 2>/dev/null
		for ((i = 0; i < 100; i++)); do kill -0 "$nginx_pid" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$nginx_pid" 2>/dev/null
		wait "$nginx_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$tmp/www"
chmod 755 "$tmp" "$tmp/www"
echo hello >"$tmp/www/index.html"
cat >"$tmp/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $tmp;
	proxy_temp_path $tmp;
	fastcgi_temp_path $tmp;
	uwsgi_temp_path $tmp;
	scgi_temp_path $tmp;
	keepalive_requests 100000000;
	server { listen 127.0.0.1:$port; root $tmp/www; }
}
CONF
"$NGINX" -p "$tmp" -c "$tmp/nginx.conf" 2>"$tmp/nginx.out" &
nginx_pid=$!
for ((i = 0; i < 200; i++)); do
	(exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
	sleep 0.05
done
url=http://127.0.0.1:$port/index.html

# cpu_of CMD...: runs CMD (stdout to $tmp/out), prints its user+system CPU seconds.
cpu_of() {
	local TIMEFORMAT='%U %S'
	{ time "$@" >"$tmp/out" 2>"$tmp/err"; } 2>"$tmp/time"
	awk '{print $1 + $2}' "$tmp/time"
}

jfield() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v=v[k]
print(v)' "$1" "$2"; }

closed=() closed_core=() wrk=() wrk_core=()
for ((r = 1; r <= rounds; r++)); do
	cpu=$(cpu_of "$LOADGEN" --closed "$conns" -d "${secs}s" -q --summary "$tmp/closed.json" "$url")
	rps=$(jfield "$tmp/closed.json" rps)
	closed+=("$rps")
	closed_core+=("$(python3 -c "print($rps * $secs / max($cpu, 1e-3))")")
	log "round $r: loadgen closed loop $rps req/s, ${cpu}s CPU"
	if command -v wrk >/dev/null; then
		cpu=$(cpu_of wrk -t1 -c"$conns" -d"${secs}s" "$url")
		rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/out")
		if [[ -n $rps ]]; then
			wrk+=("$rps")
			wrk_core+=("$(python3 -c "print($rps * $secs / max($cpu, 1e-3))")")
			log "round $r: wrk $rps req/s, ${cpu}s CPU"
		fi
	fi
done

median() { python3 -c 'import statistics,sys; v=[float(x) for x in sys.argv[1:]]; print(statistics.median(v) if v else "nan")' "$@"; }
closed_med=$(median "${closed[@]}")
target=$(python3 -c "print(int(min(100000, 0.6 * $closed_med) // 100 * 100))")

open=() open_sent=() open_err=() open_p99=()
for ((r = 1; r <= rounds; r++)); do
	"$LOADGEN" --rate "$target" -d "${secs}s" -c 64 -q --summary "$tmp/open.json" "$url" 2>"$tmp/err"
	achieved=$(jfield "$tmp/open.json" loadgen.achieved_rps)
	open+=("$achieved")
	open_sent+=("$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["loadgen"]["sent"] / d["duration_s"])' "$tmp/open.json")")
	open_err+=("$(python3 -c "print(abs($achieved - $target) / $target * 100)")")
	open_p99+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoints"][0]["latency_us"]["p99"])' "$tmp/open.json")")
	log "round $r: open loop target $target req/s, achieved $achieved, dropped $(jfield "$tmp/open.json" dropped)"
done

python3 - "$rounds" "$secs" "$target" \
	"${closed[*]}" "${closed_core[*]}" "${wrk[*]:-}" "${wrk_core[*]:-}" \
	"${open[*]}" "${open_sent[*]}" "${open_err[*]}" "${open_p99[*]}" <<'PY'
import json, statistics, sys

rounds, secs, target = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
series = [[float(x) for x in a.split()] for a in sys.argv[4:]]
closed, closed_core, wrk, wrk_core, opened, open_sent, open_err, open_p99 = series

def fig(label, unit, vals, goal=None, cmp=None, goalval=None, note=None):
    f = {"label": label, "unit": unit, "runs": len(vals), "goal": goal, "note": note}
    if vals:
        f.update(median=statistics.median(vals), min=min(vals), max=max(vals))
        f["goal_met"] = None if cmp is None else (f["median"] >= goalval if cmp == "ge" else f["median"] <= goalval)
    else:
        f.update(median=None, min=None, max=None, goal_met=None if goal is None else False)
    return f

med = lambda v: statistics.median(v) if v else None
note_cpu = "2 vCPUs shared with nginx (and other work): nginx's single worker bounds the rate"
out = {
    "closed_rps": med(closed),
    "closed_rps_per_core": med(closed_core),
    "wrk_rps": med(wrk),
    "wrk_rps_per_core": med(wrk_core),
    "open_target": target,
    "open_achieved": med(opened),
    "open_sent": med(open_sent),
    "open_error_pct": med(open_err),
    "open_p99_us": med(open_p99),
    "rounds": rounds,
    "seconds": secs,
    "name": "loadgen",
    "title": "loadgen throughput and open-loop rate accuracy (nginx, 1 worker, loopback)",
    "figures": [
        fig("closed loop, 32 connections", "req/s", closed, note=note_cpu),
        fig("closed loop per core of loadgen CPU", "req/s", closed_core, ">= 100000", "ge", 100000,
            "requests / (loadgen user+sys CPU s); includes loopback TCP work done in loadgen's context"),
        fig("wrk -t1, same nginx (reference)", "req/s", wrk),
        fig("wrk per core of its CPU (reference)", "req/s", wrk_core),
        fig("open loop target %.0f req/s: sent" % target, "req/s", open_sent),
        fig("open loop target %.0f req/s: achieved (completed)" % target, "req/s", opened),
        fig("open loop rate error", "%", open_err, "<= 1%", "le", 1.0),
        fig("open loop p99 latency at the target", "us", open_p99),
    ],
}
print(json.dumps(out))
PY
