#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Under a tight CFS quota (10 ms per 100 ms, in a cgroup this test creates), a
# CPU-bound target spends most of its wall time throttled: the off-CPU profile
# must show it as [throttled], in line with the cgroup's own cpu.stat.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/flame_common.inc"
source "$(dirname "$0")/lib_quota.sh"
need_root

target=$BUILD/tests/helpers/flame_target
[[ -x $target ]] || skip_all "test helpers not built (make unit-tests)"

tmp=$(mktemp -d /tmp/latgov-flame-XXXXXX)
on_exit "rm -rf $tmp"

quota_test_cgroup 10000
cg=$QCG

# 4 cycles of 100 ms of CPU: 400 ms of work at 10% quota takes about 4 s.
"$target" 4 100 0 >"$tmp/target.out" 2>&1 &
tpid=$!
on_exit "kill -9 $tpid"
wait_for 10 grep -q ready "$tmp/target.out" || skip_all "flame_target did not start"
echo "$tpid" >"$cg/cgroup.procs"
before=$(throttled_us)

start_flame "$tmp" -p "$tpid" -d 120 --off-cpu -o "$tmp/out"
kill -USR1 "$tpid"
wait_for 60 grep -q done "$tmp/target.out" || not_ok "target finished under the quota"
after=$(throttled_us)
kill -INT "$fpid"
wait_for 30 bash -c "! kill -0 $fpid 2>/dev/null" || not_ok "latgov flame ended on SIGINT"
wait "$fpid"
check "latgov flame exits 0" test $? -eq 0

throttled=$(folded_sum "$tmp/out/offcpu.folded" "^flame_target;\\[throttled\\];")
runq=$(folded_sum "$tmp/out/offcpu.folded" "^flame_target;\\[runqueue\\];")
cgroup=$((after - before))
echo "# throttled ${throttled} us, run queue ${runq} us; cgroup cpu.stat says ${cgroup} us throttled"
check "throttled time shows up in the off-CPU profile" test "$throttled" -gt 1000000
check "throttled time is most of the waiting" test $((throttled * 2)) -gt $((throttled + runq))
if ((cgroup > 0 && throttled * 10 >= cgroup * 7 && throttled * 10 <= cgroup * 13)); then
	ok "throttled time agrees with the cgroup's cpu.stat within 30%"
else
	not_ok "throttled time agrees with the cgroup's cpu.stat within 30%" "$throttled us vs $cgroup us"
fi
check "the throttled stack is the hot function" grep -q "^flame_target;\\[throttled\\];.*flame_hot_function" "$tmp/out/offcpu.folded"
check "summary.txt shows throttled time" grep -q "^  \\[throttled\\] " "$tmp/out/summary.txt"
