#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A foreign write: someone else changes the quota latgov holds. latgov notices
# on its next window, says so, stops touching it, and does not "restore" over
# the other writer's value at the end.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_cgroup_v1.sh"
need_root

TMP=$(mktemp -d)
on_exit "rm -rf '$TMP'"
v1_test_cgroup

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
