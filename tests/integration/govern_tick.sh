#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The governor tick on a real cgroup v1 group, fed scripted request windows
# (tests/helpers/govern_feed) instead of the live tracer: a breach raises the
# quota at once, calm lowers it in bounded steps, a breach right after a cut
# rolls it back, a thin window holds; every tick is in the audit log with its
# reason, and the originals come back at the end. Then the same in dry-run.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_cgroup_v1.sh"
need_root
FEED=$BUILD/tests/helpers/govern_feed
[[ -x $FEED ]] || skip_all "$FEED not built (make unit-tests)"

TMP=$(mktemp -d)
on_exit "rm -rf '$TMP'"
v1_test_cgroup

# A process using about 0.6 cores: the limit is in use, so a breach is the
# limit's doing (an idle group's breach is not, and holds), and usage +
# margin (0.66) stays below every cut the script expects.
bash -c "for c in $CTRLS; do echo \$\$ > /sys/fs/cgroup/\$c/$CG/cgroup.procs; done; exec timeout 60 python3 '$LATGOV_ROOT/tests/helpers/burn.py' 0.6" >"$TMP/burn" &
on_exit "kill -9 $! 2>/dev/null"
wait_line "$TMP/burn" ready 30 || not_ok "burn.py started" "$(cat "$TMP/burn")"

# Ticks every 200 ms on a fixed schedule; calm (900 ms) and cooldown (700 ms)
# sit half a tick between whole ticks, so the script below lands on the same
# decisions every run even when a tick runs 100 ms late. The objective's
# window is one tick: a window counts as from before a raise for 300 ms
# (window + half an interval), so the tick right after a raise holds.
cat >"$TMP/policy.yaml" <<'YAML'
name: tick-test
objective:
  percentile: p99
  target: 50ms
window: 200ms
min_requests: 5
cpu:
  min: 200m
  max: 1500m
  initial: 500m
  margin: 10%
memory:
  min: 64Mi
  max: 1Gi
  initial: 256Mi
control:
  interval: 200ms
  max_step_up: 100%
  max_step_down: 20%
  calm: 900ms
  hysteresis: 10%
  cooldown: 700ms
YAML
orig_q=$(cat "$CPU/cpu.cfs_quota_us")
orig_soft=$(cat "$MEM/memory.soft_limit_in_bytes")
B=100000:100 C=10000:100
windows="$B $B $B $B $B $C $C $C $C $C $C $C $C $C $B 900000:2"

"$FEED" --cgroup "$CPU" --policy "$TMP/policy.yaml" --log "$TMP/audit.jsonl" --metrics-out "$TMP/metrics" \
	$windows >"$TMP/out" 2>"$TMP/err"
check "governor run exits 0" test $? = 0
check "quota restored to $orig_q" test "$(cat "$CPU/cpu.cfs_quota_us")" = "$orig_q"
check "soft limit restored" test "$(cat "$MEM/memory.soft_limit_in_bytes")" = "$orig_soft"
if grep -qs "^target $CPU\$" /run/latgov/*.state; then not_ok "state file removed"; else ok "state file removed"; fi

# tick, cpu action, cpu value, cpu outcome, reason; one line per tick
python3 - "$TMP/audit.jsonl" >"$TMP/ticks" <<'PY' || not_ok "audit log is JSONL"
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    c = r["cpu"]
    print(r["tick"], c["action"], c["value"], c["outcome"], "|", c["reason"], "|", r["memory"]["outcome"])
PY
tick() { sed -n "${1}p" "$TMP/ticks"; }
# tick, cpu reason_code, memory reason_code
python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(r["tick"], r["cpu"]["reason_code"], r["memory"]["reason_code"])' "$TMP/audit.jsonl" >"$TMP/codes"
check "one audit line per window" test "$(wc -l <"$TMP/ticks")" = 16
check "tick 1: breach x2 raises 500m -> 1000m, written" bash -c "[[ '$(tick 1)' == '1 raise 100000 written | raise: breach: latency p99 100.0ms vs target 50.0ms (x2.00): 500m -> 1000m'* ]]"
check "tick 2: the window from before the raise holds" bash -c "[[ '$(tick 2)' == '2 hold 100000 unchanged | hold: latency p99 100.0ms vs target 50.0ms, but the window began before the raise 0.2s ago and the group is not throttled'* ]]"
check "tick 3: raise capped at cpu.max 1500m" bash -c "[[ '$(tick 3)' == '3 raise 150000 written'* ]]"
check "tick 4: the window from before the raise holds" bash -c "[[ '$(tick 4)' == '4 hold 150000 unchanged | hold: '*'began before the raise'* ]]"
check "tick 5: holds at cpu.max" bash -c "[[ '$(tick 5)' == '5 hold 150000 unchanged | hold: breach:'*'at cpu.max 1500m'* ]]"
check "ticks 6-9: hold until calm" bash -c "[[ \$(sed -n 6,9p '$TMP/ticks' | grep -c 'calm for') == 4 ]]"
check "tick 10: first step down, 20% at most" bash -c "[[ '$(tick 10)' == '10 lower 120000 written'* ]]"
check "tick 14: next step down after the cooldown" bash -c "[[ '$(tick 14)' == '14 lower 96000 written'* ]]"
check "tick 15: a breach right after the cut rolls it back" bash -c "[[ '$(tick 15)' == '15 rollback 150000 written | rollback:'* ]]"
check "tick 16: too few requests holds and says why" bash -c "[[ '$(tick 16)' == '16 hold 150000 unchanged | hold: 2 requests in the window, the policy needs 5 to judge the objective'* ]]"
want="1 breach start|2 stale_window|3 breach|4 stale_window|5 at_bound|6 calm_wait|7 calm_wait|8 calm_wait|9 calm_wait|10 calm_lower|14 calm_lower|15 rollback_after_cut|16 few_requests"
got=$({ sed -n 1p "$TMP/codes"; sed -n '2,10p; 14,16p' "$TMP/codes" | cut -d' ' -f1,2; } | paste -sd'|')
if [[ $got == "$want" ]]; then ok "reason codes of ticks 1-10 and 14-16 (and memory's start)"
else not_ok "reason codes of ticks 1-10 and 14-16 (and memory's start)" "want '$want', got '$got'"; fi
check "memory.soft_limit_in_bytes went through the writer thread" grep -q "^1 .*| queued to the memory writer$" "$TMP/ticks"
want="decisions hold=10 raise=2 lower=3 rollback=1"
got=$(grep '^decisions ' "$TMP/out")
if [[ $got == "$want" ]]; then ok "decision counters (CPU action, else the memory one)"
else not_ok "decision counters (CPU action, else the memory one)" "want '$want', got '$got'"; fi
check "/metrics: latgov_cpu_limit_cores 1.5" grep -qx 'latgov_cpu_limit_cores 1.5' "$TMP/metrics"
check "/metrics: latgov_decisions_total by action" bash -c "grep -qx 'latgov_decisions_total{action=\"rollback\"} 1' '$TMP/metrics' && grep -qx 'latgov_decisions_total{action=\"raise\"} 2' '$TMP/metrics'"
check "/metrics: latgov_throttle_ratio and latgov_cpu_usage_cores are gauges" bash -c "grep -qx '# TYPE latgov_throttle_ratio gauge' '$TMP/metrics' && grep -q '^latgov_cpu_usage_cores [0-9]' '$TMP/metrics'"
check "nothing on stderr but restore lines" bash -c "! grep -v '^latgov: restored\|already at its original' '$TMP/err'"

# dry run: the same decisions, nothing written, nothing recorded
"$FEED" --cgroup "$CPU" --policy "$TMP/policy.yaml" --dry-run --log "$TMP/dry.jsonl" $B $B $C >"$TMP/dry" 2>&1
check "dry run exits 0" test $? = 0
check "dry run says what it would write" grep -q "would write $CPU/cpu.cfs_quota_us: $orig_q -> 100000" "$TMP/dry"
check "dry run left the quota" test "$(cat "$CPU/cpu.cfs_quota_us")" = "$orig_q"
check "dry run left the soft limit" test "$(cat "$MEM/memory.soft_limit_in_bytes")" = "$orig_soft"
check "dry run audit says not written" grep -q '"outcome":"not written: dry run"' "$TMP/dry.jsonl"
if grep -qs "^target $CPU\$" /run/latgov/*.state; then not_ok "dry run wrote no state file"; else ok "dry run wrote no state file"; fi
