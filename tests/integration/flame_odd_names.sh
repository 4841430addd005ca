#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# latgov flame on a process that named itself with bytes that are not UTF-8
# and a terminal escape sequence (prctl(PR_SET_NAME) takes any bytes): every
# output is valid UTF-8, flame.svg parses as XML, pprof's strings decode, and
# what latgov prints carries no control character but newlines.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/flame_common.inc"
need_root
command -v python3 >/dev/null || skip_all "python3 needed for the target and the checks"

tmp=$(mktemp -d /tmp/latgov-flame-XXXXXX)
on_exit "rm -rf $tmp"

# Renames itself, then spins until latgov has its samples (killed at the end).
python3 -c '
import ctypes, sys
ctypes.CDLL(None).prctl(15, b"svc\xff\xfe\x1b[2J", 0, 0, 0)
print("ready", flush=True)
while True:
    pass
' >"$tmp/target.out" 2>&1 &
tpid=$!
on_exit "kill $tpid"
wait_for 10 grep -q ready "$tmp/target.out" || skip_all "the target did not start: $(cat "$tmp/target.out")"
check "the target's name is not UTF-8" python3 -c '
import sys
sys.exit(open("/proc/%s/comm" % sys.argv[1], "rb").read() != b"svc\xff\xfe\x1b[2J\n")' "$tpid"

start_flame "$tmp" -p "$tpid" -d 1 --hz 499 --off-cpu -o "$tmp/out"
wait_for 30 bash -c "! kill -0 $fpid 2>/dev/null" || not_ok "latgov flame ended after -d 1"
wait "$fpid"
check "latgov flame exits 0" test $? -eq 0

out=$tmp/out
check "flame.svg parses as XML" python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' \
	"$out/flame.svg"
# The name as latgov shows it: U+FFFD for each byte that is not UTF-8, '?' for ESC.
python3 - "$out" "$tmp/flame.out" "$tmp/flame.err" >"$tmp/checks" 2>&1 <<'PY'
import gzip, os, re, sys
out, printed = sys.argv[1], sys.argv[2:]
name = "svc\ufffd\ufffd?[2J"
controls = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
def say(ok, what):
    print(("ok " if ok else "not ok ") + what)
def text(path):
    try:
        return open(path, "rb").read().decode("utf-8")
    except UnicodeDecodeError as e:
        say(False, "%s is UTF-8 (%s)" % (os.path.basename(path), e))
        return None
for f in ["oncpu.folded", "offcpu.folded", "summary.txt"] + printed:
    t = text(os.path.join(out, f) if "/" not in f else f)
    if t is not None:
        say(not controls.search(t), "%s is UTF-8 without control characters" % os.path.basename(f))
t = text(os.path.join(out, "oncpu.folded"))
say(t is not None and t.startswith(name + ";"), "oncpu.folded is rooted at the name as shown")
t = text(os.path.join(out, "summary.txt"))
say(t is not None and " (%s)" % name in t, "summary.txt lists the target by the name as shown")
# profile.proto's string_table (field 6) decoded strictly, as pprof does.
pb, i, strings = gzip.open(os.path.join(out, "profile.pb.gz")).read(), 0, []
def varint():
    global i
    v = s = 0
    while True:
        b = pb[i]; i += 1; v |= (b & 0x7f) << s; s += 7
        if b < 0x80:
            return v
while i < len(pb):
    key = varint()
    if key & 7 == 0:
        varint()
        continue
    n = varint()
    if key >> 3 == 6:
        strings.append(pb[i:i + n])
    i += n
try:
    strings = [s.decode("utf-8") for s in strings]
    say(name in strings and not any(controls.search(s) for s in strings),
        "profile.pb.gz strings are UTF-8 without control characters, the name as shown among them")
except UnicodeDecodeError as e:
    say(False, "profile.pb.gz strings are UTF-8 (%s)" % e)
PY
while read -r verdict rest; do
	case $verdict in
	ok) ok "$rest" ;;
	not) not_ok "${rest#ok }" ;;
	*) not_ok "checks ran" "$verdict $rest" ;;
	esac
done <"$tmp/checks"
