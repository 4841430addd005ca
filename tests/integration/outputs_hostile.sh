#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# latgov runs as root and writes to paths from its command line. Where another
# user (uid 65534) owns the folder, or a folder or file is writable by others,
# that user can plant links, FIFOs and files: latgov must refuse such an
# output before it starts its target (exit 2, a message naming the path, the
# canary file the links point at untouched), refuse outputs it cannot write
# at all (/dev/full, a file as the flame folder, a missing folder) just as
# early, exit 1 when an output fails at the end, and still write the normal
# outputs.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_cgroup_v1.sh"
need_root

tmp=$(mktemp -d /tmp/latgov-outputs-XXXXXX)
on_exit "rm -rf '$tmp'"
chmod 755 "$tmp"
canary=$tmp/canary
echo "root's file: latgov must not write it" >"$canary"
chmod 600 "$canary"
cp -p "$canary" "$tmp/canary.orig"

# The other user's folder, and what they planted in it.
evil=$tmp/evil
mkdir "$evil"
ln -s "$canary" "$evil/summary.json"
ln -s "$canary" "$evil/windows.jsonl"
ln -s "$canary" "$evil/records.jsonl"
ln -s "$canary" "$evil/audit.jsonl"
ln -s "$canary" "$evil/enforce.jsonl"
ln "$canary" "$evil/linked.jsonl"	# a hard link (as with fs.protected_hardlinks=0)
mkfifo "$evil/fifo.json"
# what the flame outputs were written through: NAME.tmp, then renamed to NAME
for f in oncpu.folded offcpu.folded latency.folded flame.svg latency.svg profile.pb.gz summary.txt; do
	ln -s "$canary" "$evil/$f.tmp"
done
mkdir -m 755 "$tmp/rootdir"
ln -s "$tmp/rootdir" "$evil/dirlink"
chown -hR 65534:65534 "$evil"
chown 0:0 "$evil/linked.jsonl"	# a hard link shares the canary's owner
chmod 600 "$canary"
# root's own, but writable by others
mkdir -m 1777 "$tmp/shared"
echo old >"$tmp/group.jsonl"
chmod 664 "$tmp/group.jsonl"
touch "$tmp/planted"	# everything before this was planted

marker=$tmp/started
target=(-- sh -c "touch '$marker'; exec sleep 3")

# refused WHAT PATH CMD...: CMD exits 2 without starting its target, names PATH,
# and leaves the canary and the group-writable file as they were.
refused() {
	local what=$1 path=$2 rc started=no
	shift 2
	rm -f "$marker"
	timeout -k 5 30 "$@" >"$tmp/stdout" 2>"$tmp/err"
	rc=$?
	[[ -e $marker ]] && started=yes
	if ((rc == 2)) && [[ $started == no ]] && grep -qF -- "$path" "$tmp/err" &&
		cmp -s "$canary" "$tmp/canary.orig" && [[ $(cat "$tmp/group.jsonl") == old ]]; then
		ok "$what"
	else
		not_ok "$what" "exit $rc, target started: $started, canary: $(head -c 100 "$canary"), stderr: $(head -c 300 "$tmp/err")"
		cp -p "$tmp/canary.orig" "$canary"
	fi
}

refused "--summary through a planted link" "$evil/summary.json" \
	"$LATGOV" trace -d 1 --summary "$evil/summary.json" "${target[@]}"
refused "--json through a planted link" "$evil/windows.jsonl" \
	"$LATGOV" trace -d 1 --json "$evil/windows.jsonl" "${target[@]}"
refused "LATGOV_RECORDS through a planted link" "$evil/records.jsonl" \
	env LATGOV_RECORDS="$evil/records.jsonl" "$LATGOV" trace -d 1 "${target[@]}"
refused "--json to a hard link of another file" "$evil/linked.jsonl" \
	"$LATGOV" trace -d 1 --json "$evil/linked.jsonl" "${target[@]}"
refused "--json to a group-writable file" "$tmp/group.jsonl" \
	"$LATGOV" trace -d 1 --json "$tmp/group.jsonl" "${target[@]}"
refused "--summary to a FIFO (without blocking)" "$evil/fifo.json" \
	"$LATGOV" trace -d 1 --summary "$evil/fifo.json" "${target[@]}"
refused "--summary to /dev/full" /dev/full \
	"$LATGOV" trace -d 1 --summary /dev/full "${target[@]}"
refused "--summary into a missing folder" "$tmp/missing/summary.json" \
	"$LATGOV" trace -d 1 --summary "$tmp/missing/summary.json" "${target[@]}"
refused "flame -o a folder another user owns" "$evil" \
	"$LATGOV" flame -d 1 -o "$evil" "${target[@]}"
refused "flame -o a world-writable folder" "$tmp/shared" \
	"$LATGOV" flame -d 1 -o "$tmp/shared" "${target[@]}"
refused "flame -o a planted link to a folder" "$evil/dirlink" \
	"$LATGOV" flame -d 1 -o "$evil/dirlink" "${target[@]}"
refused "flame -o a file" /etc/passwd \
	"$LATGOV" flame -d 1 -o /etc/passwd "${target[@]}"
refused "govern --log through a planted link" "$evil/audit.jsonl" \
	"$LATGOV" govern -d 1 --dry-run --policy "$LATGOV_ROOT/policies/fixed-cap.yaml" \
	--log "$evil/audit.jsonl" "${target[@]}"
if [[ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us && -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]]; then
	v1_test_cgroup
	refused "enforce --log through a planted link" "$evil/enforce.jsonl" \
		"$LATGOV" enforce --cgroup "$CPU" --dry-run --cpu 300m -d 1 -i 1 --log "$evil/enforce.jsonl"
else
	skip "enforce --log through a planted link" "needs cgroup v1 cpu and memory (lib_cgroup_v1.sh)"
fi
check "no file appeared in the other user's folder" \
	test "$(find "$evil" -newer "$tmp/planted" ! -path "$evil" | wc -l)" -eq 0

# The normal case: a new flame folder, a summary replacing an old one, streamed files.
mkdir "$tmp/out"
echo old >"$tmp/out/summary.json"
LATGOV_RECORDS=$tmp/out/records.jsonl timeout -k 5 30 "$LATGOV" flame -d 1 -o "$tmp/flame" \
	--summary "$tmp/out/summary.json" --json "$tmp/out/windows.jsonl" "${target[@]}" \
	>"$tmp/out.log" 2>&1
rc=$?
check "a normal run exits 0" test "$rc" -eq 0
check "it writes flame.svg and summary.txt" test -s "$tmp/flame/flame.svg" -a -s "$tmp/flame/summary.txt"
check "it creates the flame folder for root alone" test "$(stat -c %a "$tmp/flame")" = 750
check "the summary replaces the old file with JSON" \
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$tmp/out/summary.json"
check "it writes --json and the records" test -e "$tmp/out/windows.jsonl" -a -e "$tmp/out/records.jsonl"
[[ $rc -eq 0 ]] || echo "# $(tail -5 "$tmp/out.log")"

# A write that fails at the end (here: RLIMIT_FSIZE, as a full disk would) is exit 1,
# and what the last run wrote stays whole.
cp "$tmp/flame/flame.svg" "$tmp/flame.svg.before"
rm -f "$marker"
(
	trap '' XFSZ
	ulimit -f 0
	exec timeout -k 5 30 "$LATGOV" flame -d 1 -o "$tmp/flame" --summary "$tmp/out/late.json" "${target[@]}"
) >"$tmp/late.log" 2>&1
rc=$?
check "an output failing at the end exits 1" test "$rc" -eq 1
check "the session ran (its existing root-owned folder was taken)" test -e "$marker"
check "the last run's flame.svg stays whole" cmp -s "$tmp/flame/flame.svg" "$tmp/flame.svg.before"
check "no summary and no temp file is left" \
	test ! -e "$tmp/out/late.json" -a "$(find "$tmp/flame" "$tmp/out" -name '*.tmp' | wc -l)" -eq 0
