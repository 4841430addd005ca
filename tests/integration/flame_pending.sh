#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Off-CPU time that a live thread still holds at collection. The tracer's
# sched_switch adds spans under an unchanged key in the thread's own state and
# writes them out only when the key changes or the thread exits; a thread that
# sleeps at one place all through the profile changes neither. The collection
# must take that time in (lg_pending_flush), and only once.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/flame_common.inc"
need_root

target=$BUILD/tests/helpers/flame_target
[[ -x $target ]] || skip_all "test helpers not built (make unit-tests)"

tmp=$(mktemp -d /tmp/latgov-flame-XXXXXX)
on_exit "rm -rf $tmp"

# 100 sleeps of 40 ms, no CPU burnt: 4 s, more than the profile's 1.5 s.
"$target" 100 0 40 >"$tmp/target.out" 2>&1 &
tpid=$!
on_exit "kill -9 $tpid"
wait_for 10 grep -q ready "$tmp/target.out" || skip_all "flame_target did not start"

start_flame "$tmp" -p "$tpid" -d 1.5 --off-cpu -o "$tmp/out"
kill -USR1 "$tpid"
t0=$(date +%s%N)
wait_for 30 bash -c "! kill -0 $fpid 2>/dev/null" || not_ok "latgov flame ended after -d"
wait "$fpid"
check "latgov flame exits 0" test $? -eq 0
check "the target was still running at the collection" kill -0 "$tpid"
window_us=$((($(date +%s%N) - t0) / 1000))

off=$(folded_sum "$tmp/out/offcpu.folded" "^flame_target;\\[blocked\\];.*flame_sleep_function")
echo "# blocked in flame_sleep_function: ${off} us, in a window of at most ${window_us} us"
# At least half of the 1.5 s profile: sleeps run back to back from the signal on.
if ((off >= 750000)); then ok "a live thread's pending off-CPU time is collected"
else not_ok "a live thread's pending off-CPU time is collected" "${off} us blocked, expected >= 750000"; fi
if ((off <= window_us)); then ok "and counted once (no more than the time profiled)"
else not_ok "and counted once (no more than the time profiled)" "${off} us > ${window_us} us"; fi
