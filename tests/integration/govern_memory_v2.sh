#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# vmtest: yes
# The governor's memory side on a real cgroup v2 tree (the VM; skips on v1
# hosts): a process that grows to 160 MiB in a group whose memory.high starts
# at 96 MiB. memory.high throttles it (it never OOM-kills); the governor sees
# the high events and pressure and raises memory.high, in bounded steps,
# without ever touching memory.max. The process gets its memory, no OOM kill
# happens, and memory.high is restored at the end.
source "$(dirname "$0")/lib.sh"
need_root
R=/sys/fs/cgroup
[[ $(stat -f -c %T $R 2>/dev/null) == cgroup2fs ]] ||
	skip_all "no cgroup v2 tree at $R (this host is v1 for cpu and memory; make vmtest runs it)"
grep -qw memory "$R/cgroup.subtree_control" || skip_all "memory is not enabled in $R/cgroup.subtree_control"
FEED=$BUILD/tests/helpers/govern_feed
[[ -x $FEED ]] || skip_all "$FEED not built (make unit-tests)"
command -v python3 >/dev/null || skip_all "python3 needed for the memory hog"

TMP=$(mktemp -d)
CG=$R/latgov-test-$$
mkdir "$CG" || skip_all "cannot create $CG"
on_exit "rm -rf '$TMP'"
on_exit "rmdir '$CG'"
on_exit "for p in \$(cat '$CG/cgroup.procs' 2>/dev/null); do kill -9 \$p; done; sleep 0.3"
on_exit "rm -f /run/latgov/*latgov-test-$$*"
orig_high=$(cat "$CG/memory.high")
orig_max=$(cat "$CG/memory.max")

cat >"$TMP/policy.yaml" <<'YAML'
objective: {percentile: p99, target: 50ms}
min_requests: 5
memory: {min: 64Mi, max: 512Mi, initial: 96Mi, margin: 10%}
control: {interval: 200ms, calm: 30s, cooldown: 200ms}
YAML

# The hog: 8 MiB every 50 ms, each page touched, up to 160 MiB; then it holds.
bash -c "echo \$\$ > '$CG/cgroup.procs'; exec timeout 120 python3 -c '
import sys, time
chunks = []
for i in range(20):
    chunks.append(bytearray(8 << 20))
    for j in range(0, 8 << 20, 4096):
        chunks[-1][j] = 1
    time.sleep(0.05)
print(\"done\", flush=True)
time.sleep(100)
'" >"$TMP/hog.out" 2>&1 &
hog=$!
on_exit "kill -9 $hog 2>/dev/null"

# 100 ticks of 200 ms (20 s at most): the windows themselves are calm.
windows=()
for ((i = 0; i < 100; i++)); do windows+=(1000:100); done
"$FEED" --cgroup "$CG" --policy "$TMP/policy.yaml" --log "$TMP/audit.jsonl" "${windows[@]}" >"$TMP/feed" 2>&1 &
feed=$!
on_exit "kill -9 $feed 2>/dev/null"
for ((i = 0; i < 400; i++)); do
	grep -q done "$TMP/hog.out" && break
	kill -0 "$feed" 2>/dev/null || break
	sleep 0.05
done
check "the process got its 160 MiB" grep -q done "$TMP/hog.out"
high_now=$(cat "$CG/memory.high")
kill -TERM "$feed"
wait "$feed" 2>/dev/null

python3 - "$TMP/audit.jsonl" >"$TMP/verdict" 2>&1 <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
raises = [x for x in a if x["memory"]["action"] == "raise"]
vals = [int(x["memory"]["value"]) for x in a if x["memory"].get("value", "").isdigit()]
print("ticks=%d raises=%d max_high=%d" % (len(a), len(raises), max(vals, default=0)))
sys.exit(0 if raises and all(x["memory"]["reason_code"] in ("pressure", "usage_near_limit") for x in raises) else 1)
PY
check "memory.high was raised for events or pressure ($(cat "$TMP/verdict"))" test $? = 0
check "memory.high went above its start of 96 MiB ($high_now)" test "$high_now" != max -a "$high_now" -gt $((96 << 20))
oom=$(awk '$1 == "oom_kill" {print $2}' "$CG/memory.events")
events=$(awk '$1 == "high" {print $2}' "$CG/memory.events")
echo "# memory.events: high $events, oom_kill $oom"
check "no OOM kill" test "${oom:-0}" = 0
check "memory.max was never touched ($orig_max)" test "$(cat "$CG/memory.max")" = "$orig_max"
check "memory.high restored to '$orig_high'" test "$(cat "$CG/memory.high")" = "$orig_high"
