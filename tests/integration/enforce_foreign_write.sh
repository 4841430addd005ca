#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A foreign write: someone else changes the quota latgov holds. latgov notices
# on its next window, says so, stops touching it, and does not "restore" over
# the other writer's value at the end.
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

orig_m=$(cat "$MEM/memory.limit_in_bytes")
"$LATGOV" enforce --cgroup "$CPU" --cpu 400m --memory 256M -d 30 -i 0.2 >"$TMP/out" 2>"$TMP/err" &
pid=$!
on_exit "kill -9 $pid 2>/dev/null"
for ((i = 0; i < 100; i++)); do
	[[ $(cat "$CPU/cpu.cfs_quota_us") == 40000 ]] && break
	sleep 0.05
done
check "quota applied" test "$(cat "$CPU/cpu.cfs_quota_us")" = 40000
echo 70000 >"$CPU/cpu.cfs_quota_us"
seen=0
for ((i = 0; i < 100; i++)); do
	grep -q "cpu.cfs_quota_us was changed by someone else (now 70000, latgov wrote 40000)" "$TMP/err" && { seen=1; break; }
	sleep 0.05
done
((seen)) && ok "foreign write detected and reported" || not_ok "foreign write detected" "$(cat "$TMP/err")"
check "the window report flags it" grep -q "limit changed by someone else" "$TMP/out"
kill -TERM $pid
wait $pid
check "SIGTERM: exits 0 after restoring" test $? = 0
check "the other writer's quota stays" test "$(cat "$CPU/cpu.cfs_quota_us")" = 70000
check "memory limit (not touched by anyone else) restored" test "$(cat "$MEM/memory.limit_in_bytes")" = "$orig_m"
check "says it left the quota" grep -q "left $CPU/cpu.cfs_quota_us at 70000: someone else changed it" "$TMP/out"
check "says it was terminated" grep -q "terminated, restoring" "$TMP/out"
if grep -qs "^target $CPU\$" /run/latgov/*.state; then not_ok "state file removed"; else ok "state file removed"; fi
