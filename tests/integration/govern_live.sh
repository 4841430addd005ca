#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# latgov govern end to end: the tracer's own windows (not loadgen's) feed the
# governor, on the demo inference service in a cgroup v1 group of the test's
# own, under a stepped open-loop load. During the high step the quota must go
# up for a breach or a shortage the tracer measured; a second latgov on the
# same cgroup is refused; after a SIGKILL the governor's quota stays until
# 'latgov restore' brings the original back; a second Ctrl-C while latgov ends
# does not stop it from restoring.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_cgroup_v1.sh"
need_root
for b in "$BUILD/demo-infer" "$BUILD/loadgen"; do
	[[ -x $b ]] || skip_all "$b not built (make all)"
done

TMP=$(mktemp -d)
on_exit "rm -rf '$TMP'"
v1_test_cgroup

port=$(free_port)
v1_start_demo "$port" "$TMP/demo.log"

cat >"$TMP/policy.yaml" <<'YAML'
name: live-test
objective: {percentile: p99, target: 50ms}
min_requests: 20
cpu: {min: 100m, max: 2, initial: 120m, margin: 20%}
control: {interval: 1s, max_step_up: 200%, max_step_down: 20%, calm: 3s, cooldown: 2s}
YAML
python3 -c 'import json; print(json.dumps({"input": [((i * 37) % 64) / 32 - 1 for i in range(64)]}))' >"$TMP/body.json"
orig_q=$(cat "$CPU/cpu.cfs_quota_us")

mport=$(free_port)
"$LATGOV" govern --cgroup "$CPU" --policy "$TMP/policy.yaml" --log "$TMP/audit.jsonl" \
	--metrics "127.0.0.1:$mport" >"$TMP/govern.out" 2>"$TMP/govern.err" &
gpid=$!
on_exit "kill -9 $gpid 2>/dev/null; '$LATGOV' restore --cgroup '$CPU' >/dev/null 2>&1"
wait_line "$TMP/govern.err" '^latgov: tracing'
if ! grep -q '^latgov: governing' "$TMP/govern.err"; then
	not_ok "latgov govern started" "$(cat "$TMP/govern.err")"
	exit 1
fi
ok "latgov govern started"

"$LATGOV" enforce --cgroup "$CPU" --cpu 1 -d 1 >"$TMP/second" 2>&1
check "a second latgov on the same cgroup is refused" test $? -ne 0
check "... and says why" grep -qi "latgov .*already\|in use\|locked" "$TMP/second"

# low 5 s, high 10 s (about 0.25 cores of work against 120m), low 3 s
"$BUILD/loadgen" --schedule 40@5s,250@10s,40@3s -c 32 --timeout 5s -q \
	--body-file "$TMP/body.json" -H 'Content-Type: application/json' \
	"http://127.0.0.1:$port/v1/infer" 2>"$TMP/loadgen.err"

curl -s "http://127.0.0.1:$mport/metrics" >"$TMP/metrics"
for m in latgov_cpu_limit_cores latgov_cpu_usage_cores latgov_throttle_ratio 'latgov_decisions_total{action="raise"}'; do
	check "/metrics has $m" grep -qF "$m" "$TMP/metrics"
done

python3 - "$TMP/audit.jsonl" >"$TMP/verdict" 2>&1 <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
# the window's figures are in the ticks; checks between ticks (kind
# "saturation") only raise, and are counted with the raises
audit = [a for a in lines if a.get("kind") == "tick"]
fast = [a for a in lines if a.get("kind") == "saturation"]
for a in fast:
    print("between ticks: usage=%.2f throttled=%.0f%% limit=%.3f %s: %s" % (
        a["inputs"]["cpu_usage_cores"], a["inputs"]["throttle_ratio"] * 100, a["cpu_limit_cores"],
        a["cpu"]["reason_code"], a["cpu"]["reason"]))
for a in audit:
    i = a["inputs"]
    print("tick=%-3d rps=%-5.0f p99=%8.1fms usage=%.2f runq=%s limit=%.3f %-8s %-20s %s" % (
        a["tick"], i["rate"], i["latency_us"] / 1000, i["cpu_usage_cores"], i.get("runq_share"),
        a["cpu_limit_cores"], a["cpu"]["action"], a["cpu"]["reason_code"], a["cpu"]["reason"]))
busy = [a for a in audit if a["inputs"]["rate"] >= 150]
raised = [a for a in busy if a["cpu"]["action"] in ("raise", "rollback")] + \
         [a for a in fast if a["cpu"]["action"] in ("raise", "rollback")]
start = audit[0]["cpu_limit_cores"] if audit else 0
print("ticks=%d busy=%d raises=%d (%d between ticks) start=%.3f max=%.3f" % (len(audit), len(busy), len(raised),
      len(fast), start, max((a["cpu_limit_cores"] for a in lines), default=0)))
ok = len(audit) >= 10 and busy and raised and max(a["cpu_limit_cores"] for a in lines) > start
# a raise in the high step answers a breach or a shortage the tracer measured (or rolls back a cut)
ok = ok and all(a["cpu"]["reason_code"] in ("breach", "error_rate", "saturated", "shortage",
                                            "shortage_after_raise", "rollback_after_cut")
                for a in busy if a["cpu"]["action"] in ("raise", "rollback"))
ok = ok and all(a["cpu"]["reason_code"] == "saturated_between_ticks" for a in fast)
# The tracer's scheduler split reaches the governor (on by default with a policy).
ok = ok and any(a["inputs"].get("runq_share") is not None and a["inputs"]["runq_share"] >= 0 for a in busy)
sys.exit(0 if ok else 1)
PY
if (($? == 0)); then
	ok "the tracer's windows drive a raise in the high step ($(tail -1 "$TMP/verdict"))"
	sed 's/^/# /' "$TMP/verdict"
else
	not_ok "the tracer's windows drive a raise in the high step" "$(tail -1 "$TMP/verdict")"
	sed 's/^/# /' "$TMP/verdict"
fi

held=$(cat "$CPU/cpu.cfs_quota_us")
kill -9 "$gpid"
wait "$gpid" 2>/dev/null
check "after SIGKILL the governor's quota stays ($held)" test "$(cat "$CPU/cpu.cfs_quota_us")" = "$held"
"$LATGOV" restore --cgroup "$CPU" >"$TMP/restore" 2>&1
check "latgov restore exits 0" test $? = 0
check "latgov restore brings the quota back to $orig_q" test "$(cat "$CPU/cpu.cfs_quota_us")" = "$orig_q"

# Ctrl-C twice (a terminal's reaches the whole process group, and a wrapper
# script that passes it on makes it a second one): the limits are still restored.
"$LATGOV" govern --cgroup "$CPU" --policy "$TMP/policy.yaml" >"$TMP/govern2.out" 2>"$TMP/govern2.err" &
gpid=$!
for ((i = 0; i < 200; i++)); do
	grep -q '^latgov: governing' "$TMP/govern2.err" && [[ $(cat "$CPU/cpu.cfs_quota_us") != "$orig_q" ]] && break
	sleep 0.05
done
check "a governor holds its initial quota ($(cat "$CPU/cpu.cfs_quota_us"))" test "$(cat "$CPU/cpu.cfs_quota_us")" != "$orig_q"
kill -INT "$gpid"
# Apart, or the two arrive as one; within the end's 50 ms drain of records in flight.
sleep 0.02
kill -INT "$gpid"
wait "$gpid"
rc=$?
check "two SIGINTs 20 ms apart: latgov ends by itself (status $rc)" test "$rc" -lt 128
check "two SIGINTs 20 ms apart: the quota is back to $orig_q" test "$(cat "$CPU/cpu.cfs_quota_us")" = "$orig_q"
