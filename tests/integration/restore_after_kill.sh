#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Crash safety: a second latgov on the same cgroup is refused; after SIGKILL the
# limits stay, a new latgov refuses until they are restored, and
# `latgov restore --cgroup` brings every original value back.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_cgroup_v1.sh"
need_root

TMP=$(mktemp -d)
on_exit "rm -rf '$TMP'"
v1_test_cgroup

bash -c "for c in $CTRLS; do echo \$\$ > /sys/fs/cgroup/\$c/$CG/cgroup.procs; done; exec timeout 60 sh -c 'while :; do :; done'" &
on_exit "kill -9 $! 2>/dev/null"

orig_q=$(cat "$CPU/cpu.cfs_quota_us")
orig_m=$(cat "$MEM/memory.limit_in_bytes")

"$LATGOV" enforce --cgroup "$CPU" --cpu 200m --memory 96M -d 50 -i 1 >"$TMP/out" 2>&1 &
pid=$!
on_exit "kill -9 $pid 2>/dev/null"
applied=0
for ((i = 0; i < 100; i++)); do
	[[ $(cat "$CPU/cpu.cfs_quota_us") == 20000 && $(cat "$MEM/memory.limit_in_bytes") == 100663296 ]] && { applied=1; break; }
	sleep 0.05
done
((applied)) && ok "limits applied" || not_ok "limits applied" "quota $(cat "$CPU/cpu.cfs_quota_us")"

# a second latgov on the same cgroup, named by its memory path
"$LATGOV" enforce --cgroup "$MEM" --memory 200M -d 1 >"$TMP/second" 2>&1
check "a second latgov on the same cgroup exits 1" test $? = 1
check "and says who holds it" grep -q "is already governed by latgov pid $pid" "$TMP/second"
"$LATGOV" restore --cgroup "$CPU" >"$TMP/early" 2>&1
check "restore leaves a running latgov alone" grep -q "latgov pid $pid, which is still running" "$TMP/early"
check "and the limit with it" test "$(cat "$CPU/cpu.cfs_quota_us")" = 20000

kill -9 $pid
wait $pid 2>/dev/null
check "after SIGKILL the quota is still latgov's" test "$(cat "$CPU/cpu.cfs_quota_us")" = 20000
check "after SIGKILL the state file is still there" grep -qs "^target $CPU\$" /run/latgov/*.state

"$LATGOV" enforce --cgroup "$CPU" --cpu 1 -d 1 >"$TMP/third" 2>&1
check "a new latgov is refused until the leftovers are restored" grep -q "still has limits set by latgov pid $pid, which did not exit cleanly; run 'latgov restore --cgroup $CPU' first" "$TMP/third"

"$LATGOV" restore --cgroup "$CPU" >"$TMP/restore" 2>&1
check "restore exits 0" test $? = 0
check "quota back to $orig_q" test "$(cat "$CPU/cpu.cfs_quota_us")" = "$orig_q"
check "memory limit back to $orig_m" test "$(cat "$MEM/memory.limit_in_bytes")" = "$orig_m"
check "restore names the dead owner" grep -q "left by latgov pid $pid" "$TMP/restore"
if grep -qs "^target $CPU\$" /run/latgov/*.state; then not_ok "state file removed by restore"; else ok "state file removed by restore"; fi
"$LATGOV" restore --all >"$TMP/again" 2>&1
check "a second restore --all finds nothing of ours" bash -c "! grep -q '$CG' '$TMP/again'"
