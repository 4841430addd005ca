#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# "make demo" end to end with a short schedule: the report holds charts and a
# per-endpoint table with real numbers, and afterwards no process and no
# cgroup of the demo is left, also when the demo is stopped half-way.
source "$(dirname "$0")/lib.sh"
need_root
for bin in "$BUILD/demo-infer" "$BUILD/loadgen"; do
	[[ -x $bin ]] || skip_all "$bin is not built (make BUILD=$BUILD all)"
done

tmp=$(mktemp -d)
on_exit "rm -rf '$tmp'"

# leftovers LOG OUT: what the demo run that wrote LOG and OUT left behind, empty if nothing.
leftovers() {
	local log=$1 out=$2 port name
	name=$(sed -n 's|^demo: cgroup v[12] .*/\(latgov-demo-[0-9]*\):.*|\1|p' "$log" | head -1)
	[[ -n $name ]] || echo "no cgroup line in $log"
	[[ -n $name ]] && ls -d /sys/fs/cgroup/*/"$name" /sys/fs/cgroup/"$name" 2>/dev/null
	# latgov's lock and state files for the demo's cgroup (io/statefile.c names them after it)
	[[ -n $name ]] && ls /run/latgov/"$name"-* 2>/dev/null
	port=$(sed -n 's/.*port \([0-9]*\),.*/\1/p' "$out/demo-infer.log" 2>/dev/null | head -1)
	[[ -n $port ]] || echo "no port in $out/demo-infer.log"
	[[ -n $port ]] && pgrep -af -- "demo-infer --port $port( |$)"
	pgrep -af -- "$out/" | grep -v pgrep
	[[ -n $port ]] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && echo "port $port still open"
	return 0
}

# A ~10 s run, as make demo runs it.
out=$tmp/out
DEMO_SCHEDULE=50@3s,300@4s,50@3s DEMO_GEN_RATE=2 DEMO_OUT=$out timeout -k 40 110 \
	bash "$LATGOV_ROOT/tools/demo.sh" >"$tmp/log" 2>&1 &
demo=$!
on_exit "kill -TERM $demo"
wait "$demo"
rc=$?
[[ $rc == 0 ]] && ok "the demo runs to the end" || not_ok "the demo runs to the end" "exit status $rc: $(tail -5 "$tmp/log")"
check "it prints the report's path" grep -q "report: $out/report.html" "$tmp/log"
check "it prints a summary table" grep -Eq '^  POST /v1/infer +client +[0-9,]+ ' "$tmp/log"

html=$out/report.html
if [[ -s $html ]]; then
	ok "report.html is written"
else
	not_ok "report.html is written" "$(tail -5 "$tmp/log")"
fi
# The checks read the page the way a person would: charts with lines in them,
# a table whose /v1/infer row carries a request count and latencies.
python3 - "$html" "$out" >"$tmp/checks" 2>&1 <<'PY'
import json, re, sys
page = open(sys.argv[1]).read()
out = sys.argv[2]
def say(ok, what):
    print(("ok " if ok else "not ok ") + what)
# The flame graph (onload="lg_init") is interactive, not a line chart.
charts = [c for c in re.findall(r"<svg.*?</svg>", page, re.S) if "lg_init" not in c[:400]]
say(len(charts) >= 4, "report has at least 4 inline SVG charts (%d)" % len(charts))
lines = [c for c in charts if re.search(r'<polyline [^>]*points="[0-9.]+,[0-9.]+ [0-9.]+,[0-9.]+', c)]
say(len(lines) == len(charts), "every chart draws a line with points (%d of %d)" % (len(lines), len(charts)))
say("SLO p99" in page, "the latency chart has the SLO line")
# Inline scripts (the flame graph's zoom and search) are fine; nothing may be fetched.
say(not re.search(r"<(link|img|iframe)\b|<script[^>]*\bsrc=|(src|href)=\"(https?:)?//|@import|url\(\s*['\"]?https?:", page),
    "the page loads nothing from outside")
rows = re.findall(r"<tr><td>POST /v1/infer</td><td>client</td>(.*?)</tr>", page)
cells = re.findall(r"<td[^>]*>([^<]*)</td>", rows[0]) if rows else []
num = lambda s: float(s.replace(",", "")) if re.fullmatch(r"[0-9,]+(\.[0-9]+)?", s) else None
say(len(cells) >= 8 and num(cells[0]) and num(cells[0]) > 0 and all(num(c) and num(c) > 0 for c in cells[3:8]),
    "the table's POST /v1/infer row has requests and p50..max in ms: %s" % cells[:8])
summary = json.load(open(out + "/loadgen-infer-summary.json"))
say(abs(summary["requests"] - int(num(cells[0]) if cells else -1)) == 0,
    "the table's request count is loadgen's (%s)" % summary["requests"])
# What latgov adds (the demo runs it in full where 'latgov check' passes, as here).
say(re.search(r"kernel p99", page) is not None, "the latency chart overlays latgov's kernel p99 on the client's")
flame = [c for c in re.findall(r"<svg.*?</svg>", page, re.S) if "lg_init" in c[:400]]
say(bool(flame) and "POST /v1/infer" in flame[0], "the latency flame graph is in the page, rooted at the endpoints")
say("Governor decisions" in page and len(open(out + "/governor.jsonl").readlines()) >= 5,
    "the governor's decisions are in the page and its audit log")
cg = [json.loads(l) for l in open(out + "/cgroup.jsonl")]
say(len(cg) >= 5 and cg[-1]["usage_ns"] > cg[0]["usage_ns"], "the cgroup sampler saw CPU used (%d samples)" % len(cg))
PY
while read -r verdict rest; do
	case $verdict in
	ok) ok "$rest" ;;
	not) not_ok "${rest#ok }" ;;
	*) not_ok "report checks" "$verdict $rest" ;;
	esac
done <"$tmp/checks"
if [[ -s $out/latgov-summary.json ]]; then
	ok "latgov's summary is in the output"
else
	not_ok "latgov's summary is in the output" "$(grep -m1 '^demo: running without latgov' "$tmp/log")"
fi
check "latgov ran with tracing, flame and the governor" grep -Eq '^  latgov +full$' "$tmp/log"
left=$(leftovers "$tmp/log" "$out")
[[ -z $left ]] && ok "nothing is left running and no cgroup remains" || not_ok "clean after the run" "$left"

# Stopped half-way (SIGTERM, as Ctrl-C's trap): everything still goes away.
# timeout passes the TERM on to its whole process group and SIGKILLs the group
# -k seconds later: longer than the demo gives latgov to end (30 s), or the
# test itself would kill latgov before it restores.
out2=$tmp/out2
DEMO_SCHEDULE=50@60s DEMO_OUT=$out2 timeout -k 60 90 bash "$LATGOV_ROOT/tools/demo.sh" >"$tmp/log2" 2>&1 &
demo2=$!
on_exit "kill -TERM $demo2"
for ((i = 0; i < 300; i++)); do
	grep -q "^demo: load:" "$tmp/log2" 2>/dev/null && [[ -s $out2/loadgen-infer.jsonl ]] && break
	kill -0 "$demo2" 2>/dev/null || break
	sleep 0.1
done
if [[ -s $out2/loadgen-infer.jsonl ]]; then
	kill -TERM "$demo2"
	wait "$demo2"
	rc=$?
	[[ $rc == 130 ]] && ok "a stopped demo exits with status 130" || not_ok "stopped demo's exit status" "$rc"
	left=$(leftovers "$tmp/log2" "$out2")
	[[ -z $left ]] && ok "a stopped demo leaves no process and no cgroup" || not_ok "clean after a stop" "$left"
else
	not_ok "the second demo started its load" "$(tail -5 "$tmp/log2")"
fi
