#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# vmtest: yes
# The cgroup v2 actuators on a real v2 tree (runs where /sys/fs/cgroup is
# cgroup2 with cpu and memory, e.g. in tools/vmtest; skips on v1 hosts):
# enforce writes cpu.max and memory.max and restores them; dry-run writes
# nothing; SIGKILL then `latgov restore`; the governor tick writes cpu.max and
# memory.high (through its writer thread) and sees PSI.
source "$(dirname "$0")/lib.sh"
need_root
R=/sys/fs/cgroup
[[ $(stat -f -c %T $R 2>/dev/null) == cgroup2fs ]] || skip_all "no cgroup v2 tree at $R (this host is v1 for cpu and memory; run tools/vmtest/run.sh enforce_v2)"
grep -qw cpu $R/cgroup.subtree_control && grep -qw memory $R/cgroup.subtree_control ||
	skip_all "cpu and memory are not enabled in $R/cgroup.subtree_control"

CG=$R/latgov-test-$$
TMP=$(mktemp -d)
cleanup_cgroup() {
	local i
	for ((i = 0; i < 50; i++)); do
		[[ -s $CG/cgroup.procs ]] || break
		while read -r p; do kill -9 "$p" 2>/dev/null; done <"$CG/cgroup.procs"
		sleep 0.1
	done
	rmdir "$CG" 2>/dev/null
	grep -ls "^target $CG\$" /run/latgov/*.state 2>/dev/null |
		while read -r f; do rm -f "$f" "${f%.state}.lock"; done
}
on_exit "rm -rf '$TMP'"
on_exit cleanup_cgroup
mkdir "$CG" || skip_all "cannot create $CG"
bash -c "echo \$\$ > $CG/cgroup.procs; exec timeout 120 sh -c 'while :; do :; done'" &
on_exit "kill -9 $! 2>/dev/null"

wait_for() {	# FILE VALUE: polls up to 10 s
	local i
	for ((i = 0; i < 200; i++)); do
		[[ $(cat "$1") == "$2" ]] && return 0
		sleep 0.05
	done
	return 1
}

orig_cpu=$(cat "$CG/cpu.max")
orig_mem=$(cat "$CG/memory.max")
"$LATGOV" enforce --cgroup "$CG" --cpu 300m --memory 128M -d 3 -i 1 --log "$TMP/log.jsonl" >"$TMP/out" 2>&1 &
pid=$!
check "cpu.max set to '30000 100000'" wait_for "$CG/cpu.max" "30000 100000"
check "memory.max set to 128M" wait_for "$CG/memory.max" 134217728
wait $pid
check "enforce exits 0" test $? = 0
check "cpu.max restored to '$orig_cpu'" test "$(cat "$CG/cpu.max")" = "$orig_cpu"
check "memory.max restored to '$orig_mem'" test "$(cat "$CG/memory.max")" = "$orig_mem"
check "the busy loop is reported throttled" grep -Eq 'throttled [1-9][0-9]*/[0-9]+ periods' "$TMP/out"

orig_w=$(cat "$CG/cpu.weight")
"$LATGOV" enforce --cgroup "$CG" --cpu-weight 300 -d 2 -i 1 >"$TMP/weight" 2>&1 &
pid=$!
check "cpu.weight set to 300" wait_for "$CG/cpu.weight" 300
wait $pid
check "cpu.weight restored to '$orig_w'" test "$(cat "$CG/cpu.weight")" = "$orig_w"

"$LATGOV" enforce --cgroup "$CG" --cpu 250m -d 1 --dry-run >"$TMP/dry" 2>&1
check "dry run says it would write cpu.max" grep -q "would write $CG/cpu.max: $orig_cpu -> 25000 100000" "$TMP/dry"
check "dry run left cpu.max" test "$(cat "$CG/cpu.max")" = "$orig_cpu"

"$LATGOV" enforce --cgroup "$CG" --cpu 200m --memory 96M -d 60 >"$TMP/kill" 2>&1 &
pid=$!
on_exit "kill -9 $pid 2>/dev/null"
check "limits applied before the kill" wait_for "$CG/cpu.max" "20000 100000"
kill -9 $pid
wait $pid 2>/dev/null
check "after SIGKILL cpu.max is still latgov's" test "$(cat "$CG/cpu.max")" = "20000 100000"
"$LATGOV" restore --cgroup "$CG" >"$TMP/restore" 2>&1
check "restore exits 0" test $? = 0
check "restore brings cpu.max back" test "$(cat "$CG/cpu.max")" = "$orig_cpu"
check "restore brings memory.max back" test "$(cat "$CG/memory.max")" = "$orig_mem"

FEED=$BUILD/tests/helpers/govern_feed
if [[ -x $FEED ]]; then
	orig_high=$(cat "$CG/memory.high")
	cat >"$TMP/policy.yaml" <<'YAML'
objective: {percentile: p99, target: 50ms}
min_requests: 5
cpu: {min: 200m, max: 1500m, initial: 500m}
memory: {min: 64Mi, max: 1Gi, initial: 256Mi}
control: {interval: 200ms, calm: 10s, cooldown: 5s}
YAML
	"$FEED" --cgroup "$CG" --policy "$TMP/policy.yaml" --log "$TMP/audit.jsonl" \
		100000:100 100000:100 10000:100 10000:100 >"$TMP/feed" 2>&1
	check "governor run exits 0" test $? = 0
	# raise x2 from 500m, or more: the busy loop's usage + 20% is the floor
	if grep -Eq '"tick":1,.*"cpu":\{"action":"raise",[^}]*"file":"[^"]*/cpu.max","value":"[0-9]+ 100000","outcome":"written"' "$TMP/audit.jsonl"; then
		ok "tick 1 writes cpu.max for the raise"
	else
		not_ok "tick 1 writes cpu.max for the raise"
		sed 's/^/# /' "$TMP/audit.jsonl" "$TMP/feed"
	fi
	check "tick 1 queues memory.high to the writer thread" grep -q '"tick":1,.*"memory":{"action":"lower","reason":"lower: start memory at the policy.s 268435456 (found unlimited)","file":"[^"]*memory.high","value":"268435456","outcome":"queued to the memory writer"' "$TMP/audit.jsonl"
	check "v2 PSI reaches the inputs" python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; sys.exit(0 if all(x["inputs"]["mem_pressure"] is not None and x["inputs"]["mem_pressure"] >= 0 for x in r[1:]) else 1)' "$TMP/audit.jsonl"
	check "cpu.max restored after the governor" test "$(cat "$CG/cpu.max")" = "$orig_cpu"
	check "memory.high restored after the governor" test "$(cat "$CG/memory.high")" = "$orig_high"
else
	skip "governor tick on v2" "$FEED not built"
fi
