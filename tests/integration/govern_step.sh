#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The governor against a real service: the demo inference service in a cgroup
# v1 group of the test's own, under a stepped open-loop load (low, high, low).
# loadgen's per-second windows (p99 from the intended send time) feed the
# governor tick (tests/helpers/govern_feed --stdin) in place of the tracer.
# The quota must rise during the high step and fall after it, the audit log
# must give a reason for each change, and the original quota must come back.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_cgroup_v1.sh"
need_root
FEED=$BUILD/tests/helpers/govern_feed
for b in "$FEED" "$BUILD/demo-infer" "$BUILD/loadgen"; do
	[[ -x $b ]] || skip_all "$b not built (make all unit-tests)"
done

TMP=$(mktemp -d)
on_exit "rm -rf '$TMP'"
v1_test_cgroup

port=$(free_port)
v1_start_demo "$port" "$TMP/demo.log"

cat >"$TMP/policy.yaml" <<'YAML'
name: step-test
objective:
  percentile: p99
  target: 50ms
min_requests: 20
cpu:
  min: 200m
  max: 2
  initial: 300m
  margin: 20%
control:
  interval: 1s
  max_step_up: 100%
  max_step_down: 20%
  calm: 3s
  hysteresis: 10%
  cooldown: 2s
YAML
python3 -c 'import json; print(json.dumps({"input": [((i * 37) % 64) / 32 - 1 for i in range(64)]}))' >"$TMP/body.json"
orig_q=$(cat "$CPU/cpu.cfs_quota_us")

# low 6 s, high 10 s (about 0.3 cores of work, over the 0.24 the governor
# will have cut to), low 12 s: one governor tick per loadgen window
"$BUILD/loadgen" --schedule 50@6s,350@10s,50@12s -c 32 --timeout 5s -q \
	--body-file "$TMP/body.json" -H 'Content-Type: application/json' --jsonl - \
	"http://127.0.0.1:$port/v1/infer" 2>"$TMP/loadgen.err" |
	tee "$TMP/windows.jsonl" |
	"$FEED" --cgroup "$CPU" --policy "$TMP/policy.yaml" --stdin --log "$TMP/audit.jsonl" >"$TMP/out" 2>"$TMP/err"
check "loadgen and the governor ran to the end" test "${PIPESTATUS[0]}${PIPESTATUS[2]}" = 00
check "quota restored to $orig_q" test "$(cat "$CPU/cpu.cfs_quota_us")" = "$orig_q"

# window t (1-based) is tick t: the high step is t = 7..16
python3 - "$TMP/audit.jsonl" "$TMP/windows.jsonl" >"$TMP/verdict" 2>&1 <<'PY'
import json, sys
audit = [json.loads(l) for l in open(sys.argv[1])]
wins = [json.loads(l) for l in open(sys.argv[2])]
lim = [a["cpu_limit_cores"] for a in audit]
for a, w in zip(audit, wins):
    print("t=%-3d rps=%-4.0f p99=%8.1fms usage=%.2f limit=%.3f %-8s %-20s %s" % (
        w["t"], w["achieved_rps"], w["latency_us"]["p99"] / 1000, a["inputs"]["cpu_usage_cores"], a["cpu_limit_cores"],
        a["cpu"]["action"], a["cpu"]["reason_code"], a["cpu"]["reason"]))
before = lim[5]
high = max(lim[6:16])
after = lim[-1]
# a raise for a breach or for saturation (throttled at the quota: the step seen before
# the latency window shows it), or the rollback of a cut that a breach followed
# (one window of slack either side: loadgen's windows and the ticks are not in lock step)
raises = [a for a in audit[5:17] if (a["cpu"]["action"] == "raise" and
                                     a["cpu"]["reason_code"] in ("breach", "error_rate", "saturated",
                                                                 "saturated_between_ticks")) or
          (a["cpu"]["action"] == "rollback" and a["cpu"]["reason_code"] == "rollback_after_cut")]
lowers = [a for a in audit[16:] if a["cpu"]["action"] == "lower"]
print("before=%.3f high=%.3f after=%.3f raises=%d lowers=%d" % (before, high, after, len(raises), len(lowers)))
ok = len(audit) >= 26 and high > before and after < high and raises and lowers
ok = ok and all(0.2 <= l <= 2.0 for l in lim)
ok = ok and all(a["cpu"]["outcome"] in ("written", "unchanged") for a in audit)
sys.exit(0 if ok else 1)
PY
if (($? == 0)); then
	ok "quota rises during the high step and falls after it ($(tail -1 "$TMP/verdict"))"
	sed 's/^/# /' "$TMP/verdict"
else
	not_ok "quota rises during the high step and falls after it" "$(tail -1 "$TMP/verdict")"
	sed 's/^/# /' "$TMP/verdict"
fi
# the reason codes that can explain each change (policies/README.md, "The audit log")
check "every change in the audit log has a reason" python3 -c '
import json, sys
changes = {
    "raise": {"breach", "error_rate", "saturated", "shortage", "shortage_after_raise",
              "saturated_between_ticks", "out_of_bounds", "start"},
    "lower": {"calm_lower", "out_of_bounds", "start"},
    "rollback": {"rollback_after_cut", "saturated_between_ticks"},
}
for l in open(sys.argv[1]):
    c = json.loads(l)["cpu"]
    if c["action"] != "hold" and (c["reason_code"] not in changes[c["action"]] or not c["reason"]): sys.exit(1)' "$TMP/audit.jsonl"
