#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A target that forks a worker after profiling started (as pre-forking servers
# do): the worker joins the target set in the kernel, and its stacks are
# profiled and symbolized too.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/flame_common.inc"
need_root

target=$BUILD/tests/helpers/flame_target
[[ -x $target ]] || skip_all "test helpers not built (make unit-tests)"

tmp=$(mktemp -d /tmp/latgov-flame-XXXXXX)
on_exit "rm -rf $tmp"

"$target" --fork 10 40 10 >"$tmp/target.out" 2>&1 &
tpid=$!
on_exit "pkill -9 -P $tpid; kill -9 $tpid"
wait_for 10 grep -q ready "$tmp/target.out" || skip_all "flame_target did not start"

start_flame "$tmp" -p "$tpid" -d 120 --hz 499 --off-cpu -o "$tmp/out"
kill -USR1 "$tpid"
wait_for 60 grep -q done "$tmp/target.out" || not_ok "the forked worker finished"
kill -INT "$fpid"
wait_for 30 bash -c "! kill -0 $fpid 2>/dev/null" || not_ok "latgov flame ended on SIGINT"
wait "$fpid"
check "latgov flame exits 0" test $? -eq 0

hot=$(folded_sum "$tmp/out/oncpu.folded" "^flame_target;.*flame_hot_function")
echo "# on-CPU samples of the forked worker in flame_hot_function: $hot"
check "the forked worker's hot function is sampled" test "$hot" -gt 20
if grep -q "flame_sleep_function" "$tmp/out/offcpu.folded"; then
	ok "the worker's sleeps are in the off-CPU profile"
else
	not_ok "the worker's sleeps are in the off-CPU profile"
	# What it had instead, for whoever reads the log of a failed run.
	awk '{print $NF "\t" $0}' "$tmp/out/offcpu.folded" | sort -rn | head -8 | cut -f2- | sed 's/^/#   offcpu: /'
	tail -5 "$tmp/flame.err" | sed 's/^/#   latgov: /'
fi
check "the summary lists two target processes" grep -qE "^targets: [0-9]+ \\(flame_target\\) [0-9]+ \\(flame_target\\)" "$tmp/out/summary.txt"
