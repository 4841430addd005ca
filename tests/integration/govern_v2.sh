#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The governor on a real cgroup v2 tree (in tools/vmtest; skips on v1 hosts):
# a breach raises cpu.max, calm windows lower it again in bounded steps, and
# after a SIGKILL of the governor 'latgov restore' brings cpu.max back.
# Windows are scripted (tests/helpers/govern_feed) so no timing is involved.
source "$(dirname "$0")/lib.sh"
# vmtest: yes
need_root
R=/sys/fs/cgroup
[[ $(stat -f -c %T $R 2>/dev/null) == cgroup2fs ]] ||
	skip_all "no cgroup v2 tree at $R (this host is v1 for cpu and memory; make vmtest runs it)"
grep -qw cpu "$R/cgroup.subtree_control" || skip_all "cpu is not enabled in $R/cgroup.subtree_control"
FEED=$BUILD/tests/helpers/govern_feed
[[ -x $FEED ]] || skip_all "$FEED not built (make unit-tests)"

TMP=$(mktemp -d)
CG=$R/latgov-test-$$
mkdir "$CG" || skip_all "cannot create $CG"
on_exit "rm -rf '$TMP'"
on_exit "rmdir '$CG'"
on_exit "for p in \$(cat '$CG/cgroup.procs' 2>/dev/null); do kill -9 \$p; done; sleep 0.2"
on_exit "rm -f /run/latgov/*latgov-test-$$*"
# About 0.3 cores: the limit is in use (so a breach is the limit's doing), and
# its peak usage + margin leaves room for cuts below the raised limit (a
# spinner that takes whatever the quota gives would leave none).
bash -c "echo \$\$ > '$CG/cgroup.procs'; exec timeout 120 python3 '$LATGOV_ROOT/tests/helpers/burn.py' 0.3" >"$TMP/burn" &
orig=$(cat "$CG/cpu.max")
# The governor's usage peak must not be Python's start-up (a second of a whole
# core under the emulator, which leaves no room to lower the raised limit).
wait_line "$TMP/burn" ready 30 || not_ok "burn.py started" "$(cat "$TMP/burn")"

cat >"$TMP/policy.yaml" <<'YAML'
objective: {percentile: p99, target: 50ms}
min_requests: 5
cpu: {min: 100m, max: 1500m, initial: 400m, margin: 10%}
control: {interval: 100ms, max_step_up: 100%, max_step_down: 25%, calm: 300ms, cooldown: 100ms, hysteresis: 10%}
YAML

# A window in loadgen's JSONL form: p99 latency (µs) over 100 requests.
window() { printf '{"completed":100,"errors":0,"timeouts":0,"achieved_rps":100,"latency_us":{"p99":%d}}\n' "$1"; }

mkfifo "$TMP/windows"
"$FEED" --cgroup "$CG" --policy "$TMP/policy.yaml" --log "$TMP/audit.jsonl" --stdin <"$TMP/windows" >"$TMP/feed" 2>&1 &
feed=$!
on_exit "kill -9 $feed 2>/dev/null"
exec 7>"$TMP/windows"

quota() { awk '{print $1}' "$CG/cpu.max"; }
# wait_ticks N: until the audit log has N ticks (or the feed has died).
wait_ticks() {
	local i
	for ((i = 0; i < 600; i++)); do
		(($(wc -l 2>/dev/null <"$TMP/audit.jsonl" || echo 0) >= $1)) && return 0
		kill -0 "$feed" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

window 1000 >&7
wait_ticks 1 || not_ok "first tick" "$(cat "$TMP/feed")"
start=$(quota)
window 200000 >&7
window 200000 >&7
wait_ticks 3
raised=$(quota)
if [[ $start =~ ^[0-9]+$ && $raised =~ ^[0-9]+$ ]] && ((raised > start)); then
	ok "a breach raises cpu.max ($start -> $raised)"
else
	not_ok "a breach raises cpu.max" "$start -> $raised; $(tail -3 "$TMP/audit.jsonl")"
fi
for ((i = 4; i <= 14; i++)); do
	window 1000 >&7
	wait_ticks $i
done
lowered=$(quota)
if [[ $lowered =~ ^[0-9]+$ ]] && ((lowered < raised)); then
	ok "calm windows lower cpu.max ($raised -> $lowered)"
else
	not_ok "calm windows lower cpu.max" "$raised -> $lowered; $(tail -3 "$TMP/audit.jsonl")"
fi
check "every change is in the audit log with its reason" \
	python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; a=[x["cpu"]["action"] for x in r]; sys.exit(0 if "raise" in a and "lower" in a and all(x["cpu"]["reason"] for x in r) else 1)' "$TMP/audit.jsonl"

kill -9 "$feed"
wait "$feed" 2>/dev/null
exec 7>&-
check "after SIGKILL cpu.max is still the governor's" test "$(cat "$CG/cpu.max")" != "$orig"
"$LATGOV" restore --cgroup "$CG" >"$TMP/restore" 2>&1
check "latgov restore exits 0" test $? = 0
check "latgov restore brings cpu.max back to '$orig'" test "$(cat "$CG/cpu.max")" = "$orig"
