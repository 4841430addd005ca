#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# latgov flame on a program with a known profile (tests/helpers/flame_target):
# the hot function gets most on-CPU samples, the sleeping function shows about
# the time it slept, symbols resolve in the PIE executable and in a shared
# library, and the SVG, pprof and summary outputs are well-formed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/flame_common.inc"
need_root

target=$BUILD/tests/helpers/flame_target
[[ -x $target ]] || skip_all "test helpers not built (make unit-tests)"
command -v cc >/dev/null || skip_all "no C compiler to build the test library"
command -v python3 >/dev/null || skip_all "python3 needed to check the SVG and pprof files"

tmp=$(mktemp -d /tmp/latgov-flame-XXXXXX)
on_exit "rm -rf $tmp"
cc -shared -fPIC -O2 -fno-omit-frame-pointer -o "$tmp/libflame.so" "$LATGOV_ROOT/tests/fixtures/flame_lib.c" ||
	skip_all "cannot build the test library"

# 20 cycles of 40 ms hot + 10 ms in the library + 40 ms asleep.
"$target" --lib "$tmp/libflame.so" 20 40 40 10 >"$tmp/target.out" 2>&1 &
tpid=$!
on_exit "kill $tpid"
wait_for 10 grep -q ready "$tmp/target.out" || skip_all "flame_target did not start: $(cat "$tmp/target.out")"

start_flame "$tmp" -p "$tpid" -d 120 --hz 499 --off-cpu -o "$tmp/out"
# The latency flame hook: a request of endpoint 7 in flight on the target's
# thread for the whole run (this program serves no requests, so the tracer's
# own tagging is in trace_sched.sh): its struct lg_thread in lg_threads, with
# endpoint (at offset 40) 7 and no answer written, so the tag never ends; the
# remaining 88 bytes (stack site, pending spans) zero. lg_threads is task
# storage: its key is a pidfd of the thread, open in bpftool's process.
tagged=0
if command -v bpftool >/dev/null; then
	map=$(bpftool map list -j | python3 -c 'import json,sys; ids=[m["id"] for m in json.load(sys.stdin) if m.get("name")=="lg_threads"]; print(max(ids) if ids else "")')
	value=$(python3 -c "import struct; print(' '.join('%02x' % b for b in struct.pack('<5QI4B2i8B', 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, -1, -1, *[0] * 8) + bytes(88)))")
	[[ -n $map ]] && python3 - "$map" "$tpid" $value <<'PY' && tagged=1
import os, struct, subprocess, sys
fd = os.pidfd_open(int(sys.argv[2]))
key = ['%02x' % b for b in struct.pack('<i', fd)]
sys.exit(subprocess.call(['bpftool', 'map', 'update', 'id', sys.argv[1], 'key', 'hex', *key,
                          'value', 'hex', *sys.argv[3:]], pass_fds=(fd,)))
PY
fi
kill -USR1 "$tpid"
wait_for 60 grep -q done "$tmp/target.out" || not_ok "target finished its cycles"
kill -INT "$fpid"
wait_for 30 bash -c "! kill -0 $fpid 2>/dev/null" || not_ok "latgov flame ended on SIGINT"
wait "$fpid"
check "latgov flame exits 0" test $? -eq 0

out=$tmp/out
for f in oncpu.folded offcpu.folded latency.folded flame.svg profile.pb.gz summary.txt; do
	check "writes $f" test -e "$out/$f"
done
if ((tagged)); then
	check "writes latency.svg (a request was in flight)" python3 -c 'import sys, xml.etree.ElementTree as ET; ET.parse(sys.argv[1])' "$out/latency.svg"
fi

total=$(folded_sum "$out/oncpu.folded" "^flame_target;")
hot=$(folded_sum "$out/oncpu.folded" "^flame_target;.*flame_hot_function")
echo "# on-CPU samples: $total, in flame_hot_function: $hot"
if ((total > 20 && hot * 2 >= total)); then ok "hot function has >= 50% of on-CPU samples ($hot of $total)"
else not_ok "hot function has >= 50% of on-CPU samples" "$hot of $total"; fi

if readelf -h "$target" | grep -q "DYN"; then
	check "symbols resolve in the PIE executable" grep -q ";main;flame_hot_function" "$out/oncpu.folded"
else
	skip "symbols resolve in the PIE executable" "flame_target is not PIE here"
fi
check "symbols resolve in a shared library" grep -q ";flame_lib_function" "$out/oncpu.folded"

slept=$(sed -n 's/.*slept_us=\([0-9]*\).*/\1/p' "$tmp/target.out")
off=$(folded_sum "$out/offcpu.folded" "^flame_target;\\[[a-z-]*\\];.*flame_sleep_function")
blocked=$(folded_sum "$out/offcpu.folded" "^flame_target;\\[blocked\\];.*flame_sleep_function")
echo "# slept ${slept} us; off-CPU in flame_sleep_function ${off} us (blocked ${blocked} us)"
if [[ -n $slept ]] && ((off * 10 >= slept * 8 && off * 10 <= slept * 12)); then
	ok "off-CPU time of the sleeping function within 20% of the slept time"
else
	not_ok "off-CPU time of the sleeping function within 20% of the slept time" "$off us vs $slept us"
fi
check "blocked time is most of it" test $((blocked * 2)) -ge "$off"

check "flame.svg is well-formed XML with the hot frame" python3 - "$out/flame.svg" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
titles = [t.text for t in root.iter(ns + "title")]
assert any(t.startswith("flame_hot_function (") for t in titles), titles[:5]
assert root.find(ns + "script") is not None
PY

if command -v node >/dev/null; then
	check "flame.svg zooms, unzooms and searches (its script run by node on a fake DOM)" \
		node "$LATGOV_ROOT/tests/fixtures/svg_dom_check.js" "$out/flame.svg" flame_hot_function
else
	skip "flame.svg zooms, unzooms and searches" "node is not installed"
fi

check "profile.pb.gz decodes: string_table[0] is empty, sample types, locations with lines" python3 - "$out/profile.pb.gz" <<'PY'
import gzip, sys
buf = gzip.open(sys.argv[1]).read()
def varint(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1; v |= (c & 0x7f) << s; s += 7
        if c < 0x80: return v, i
def fields(b):
    i = 0
    while i < len(b):
        k, i = varint(b, i)
        if k & 7 == 0:
            v, i = varint(b, i); yield k >> 3, v
        elif k & 7 == 2:
            n, i = varint(b, i); yield k >> 3, b[i:i + n]; i += n
        else:
            raise ValueError("wire type %d" % (k & 7))
strings, types, locs, samples = [], [], [], 0
for f, v in fields(buf):
    if f == 6: strings.append(v.decode())
    elif f == 1: types.append(dict(fields(v)))
    elif f == 4: locs.append(dict(fields(v)))
    elif f == 2: samples += 1
assert strings[0] == "", strings[:3]
assert [(strings[t[1]], strings[t[2]]) for t in types] == [("samples", "count"), ("wall", "microseconds")]
assert samples > 0 and locs and all(4 in l and l[1] > 0 for l in locs)
assert "flame_hot_function" in strings and "phase" in strings and "blocked" in strings
PY

if ((tagged)); then
	check "latency.folded roots in-flight time at the endpoint, then the state" \
		grep -q "^endpoint-7;\\[on-cpu\\];.*flame_hot_function" "$out/latency.folded"
	check "latency.folded has the blocked time of the request" \
		grep -q "^endpoint-7;\\[blocked\\];.*flame_sleep_function" "$out/latency.folded"
	check "summary.txt splits the endpoint's time by state" grep -q "^  endpoint-7 .*\\[blocked\\]" "$out/summary.txt"
else
	skip "latency.folded roots in-flight time at the endpoint" "bpftool could not tag the target's thread"
fi
check "summary.txt lists states, top stacks and losses" grep -q "^lost: " "$out/summary.txt"
check "summary.txt names the sleeping stack" grep -q "\\[blocked\\].*flame_sleep_function" "$out/summary.txt"
