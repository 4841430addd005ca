#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Crash safety: a second latgov on the same cgroup is refused; after SIGKILL the
# limits stay, a new latgov refuses until they are restored, and
# `latgov restore --cgroup` brings every original value back.
source "$(dirname "$0")/lib.sh"
need_root
[[ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us && -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]] ||
	skip_all "needs cgroup v1 cpu and memory hierarchies at /sys/fs/cgroup/{cpu,memory}"

CG=latgov-test-$$
CTRLS="cpu cpuacct memory"
TMP=$(mktemp -d)
cleanup_cgroup() {
	local c d i busy
	for ((i = 0; i < 50; i++)); do
		busy=0
		for c in $CTRLS; do
			d=/sys/fs/cgroup/$c/$CG
			[[ -d $d ]] || continue
			while read -r p; do kill -9 "$p" 2>/dev/null; busy=1; done <"$d/cgroup.procs"
		done
		((busy)) || break
		sleep 0.1
	done
	for c in $CTRLS; do rmdir "/sys/fs/cgroup/$c/$CG" 2>/dev/null; done
	grep -ls "^target /sys/fs/cgroup/cpu/$CG\$" /run/latgov/*.state 2>/dev/null |
		while read -r f; do rm -f "$f" "${f%.state}.lock"; done
}
on_exit "rm -rf '$TMP'"
on_exit cleanup_cgroup
for c in $CTRLS; do mkdir "/sys/fs/cgroup/$c/$CG" || skip_all "cannot create /sys/fs/cgroup/$c/$CG"; done
CPU=/sys/fs/cgroup/cpu/$CG
MEM=/sys/fs/cgroup/memory/$CG

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
