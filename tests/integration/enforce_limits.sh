#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# latgov enforce on a real cgroup v1 group of the test's own, with a CPU-burning
# child in it: the limits are applied, throttling is reported per window, and
# the exact original values come back at the end. Then --dry-run changes nothing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_cgroup_v1.sh"
need_root

TMP=$(mktemp -d)
on_exit "rm -rf '$TMP'"
v1_test_cgroup

# A busy loop in the cgroup, bounded in time.
bash -c "for c in $CTRLS; do echo \$\$ > /sys/fs/cgroup/\$c/$CG/cgroup.procs; done; exec timeout 60 sh -c 'while :; do :; done'" &
on_exit "kill -9 $! 2>/dev/null"

# Originals that are not the defaults, so a restore to "-1" by accident shows.
echo 150000 >"$CPU/cpu.cfs_quota_us"
echo 512M >"$MEM/memory.limit_in_bytes"
orig_q=$(cat "$CPU/cpu.cfs_quota_us")
orig_m=$(cat "$MEM/memory.limit_in_bytes")

"$LATGOV" enforce --cgroup "$CPU" --cpu 300m --memory 128M -d 3 -i 1 --log "$TMP/log.jsonl" >"$TMP/out" 2>&1 &
pid=$!
applied=0
for ((i = 0; i < 100; i++)); do
	[[ $(cat "$CPU/cpu.cfs_quota_us") == 30000 ]] && { applied=1; break; }
	sleep 0.05
done
((applied)) && ok "cpu.cfs_quota_us set to 30000 for --cpu 300m" || not_ok "cpu.cfs_quota_us set" "still $(cat "$CPU/cpu.cfs_quota_us")"
check "memory.limit_in_bytes set to 128M" test "$(cat "$MEM/memory.limit_in_bytes")" = 134217728
check "state file under /run/latgov names the cgroup while it runs" grep -qs "^target $CPU\$" /run/latgov/*.state
wait $pid
rc=$?
check "enforce exits 0" test $rc = 0
check "quota restored to the original $orig_q" test "$(cat "$CPU/cpu.cfs_quota_us")" = "$orig_q"
check "memory limit restored to the original $orig_m" test "$(cat "$MEM/memory.limit_in_bytes")" = "$orig_m"
if grep -qs "^target $CPU\$" /run/latgov/*.state; then not_ok "state file removed after a clean exit"; else ok "state file removed after a clean exit"; fi
check "one report line per window" test "$(grep -c '^\[ *[0-9.]*s\] cpu' "$TMP/out")" -ge 2
check "the busy loop is reported throttled" grep -Eq 'throttled [1-9][0-9]*/[0-9]+ periods' "$TMP/out"
check "JSONL log has a window with throttle_ratio > 0.5" \
	python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; sys.exit(0 if len(r)>=2 and max(x["throttle_ratio"] for x in r)>0.5 else 1)' "$TMP/log.jsonl"
grep -q "restored $CPU/cpu.cfs_quota_us: 30000 -> $orig_q" "$TMP/out" && ok "says what it restored" ||
	not_ok "says what it restored" "$(tail -3 "$TMP/out")"

# --cpu-weight on v1 is cpu.shares, scaled (200 -> 2048), and comes back.
orig_s=$(cat "$CPU/cpu.shares")
"$LATGOV" enforce --cgroup "$CPU" --cpu-weight 200 -d 2 -i 1 >"$TMP/weight" 2>&1 &
pid=$!
applied=0
for ((i = 0; i < 100; i++)); do
	[[ $(cat "$CPU/cpu.shares") == 2048 ]] && { applied=1; break; }
	sleep 0.05
done
((applied)) && ok "cpu.shares set to 2048 for --cpu-weight 200" || not_ok "cpu.shares set" "still $(cat "$CPU/cpu.shares")"
wait $pid
check "cpu.shares restored to the original $orig_s" test "$(cat "$CPU/cpu.shares")" = "$orig_s"

# --dry-run: says what it would write, writes nothing, records nothing
"$LATGOV" enforce --cgroup "$CPU" --cpu 250m --memory 100M -d 1 -i 0.5 --dry-run >"$TMP/dry" 2>&1
check "dry run exits 0" test $? = 0
check "dry run says it would write the quota" grep -q "would write $CPU/cpu.cfs_quota_us: $orig_q -> 25000" "$TMP/dry"
check "dry run says it would write the memory limit" grep -q "would write $MEM/memory.limit_in_bytes: $orig_m -> 104857600" "$TMP/dry"
check "dry run left the quota" test "$(cat "$CPU/cpu.cfs_quota_us")" = "$orig_q"
check "dry run left the memory limit" test "$(cat "$MEM/memory.limit_in_bytes")" = "$orig_m"
if grep -qs "^target $CPU\$" /run/latgov/*.state; then not_ok "dry run wrote no state file"; else ok "dry run wrote no state file"; fi

# A hard memory limit below usage is refused (it would reclaim or OOM-kill).
"$LATGOV" enforce --cgroup "$CPU" --memory 4096 -d 1 >"$TMP/low" 2>&1
check "memory limit below usage is refused with exit 2" test $? = 2
check "refusal names the usage" grep -q "is below the cgroup's current usage" "$TMP/low"
check "refused limit was not written" test "$(cat "$MEM/memory.limit_in_bytes")" = "$orig_m"

# Paths outside the cgroup file system are refused.
"$LATGOV" enforce --cgroup "$TMP" --cpu 1 -d 1 >"$TMP/bad" 2>&1
check "a path outside the cgroup fs is refused" grep -q "is not on a cgroup file system" "$TMP/bad"

# A cgroup v2 group without the cpu and memory controllers (on this host the
# unified tree carries only hugetlb) is refused with the way to enable them.
if [[ -f /sys/fs/cgroup/unified/cgroup.controllers ]] && ! grep -qw cpu /sys/fs/cgroup/unified/cgroup.controllers; then
	V2=/sys/fs/cgroup/unified/$CG
	mkdir "$V2" && on_exit "rmdir '$V2'"
	"$LATGOV" enforce --cgroup "$V2" --cpu 1 -d 1 >"$TMP/v2" 2>&1
	check "a v2 group without cpu/memory exits 2" test $? = 2
	check "and says how to enable the controllers" grep -q "(v2) has neither the cpu nor the memory controller; enable them with 'echo +cpu +memory > PARENT/cgroup.subtree_control'" "$TMP/v2"
else
	skip "v2 group without controllers" "no controller-less cgroup2 tree on this host"
fi
