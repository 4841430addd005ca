#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# latgov flame (root) on targets whose owners planted files for it to read: a
# stripped executable whose .gnu_debuglink names a FIFO beside it, and
# /tmp/perf-PID.map files that are a FIFO, a sparse 512 MiB file, or owned by
# another user. latgov must end on its own after -d, exit 0 and write its
# summary; only the perf map owned by the target's own user names frames.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/flame_common.inc"
need_root

command -v cc >/dev/null || skip_all "no C compiler to build the target"
command -v objcopy >/dev/null || skip_all "objcopy (binutils) needed for the debug link"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) needed to run a target as nobody"
[[ $(uname -m) == x86_64 ]] || skip_all "the target's JIT code is x86-64"

tmp=$(mktemp -d /tmp/latgov-flame-XXXXXX)
on_exit "rm -rf $tmp"
chmod 755 "$tmp"

# A JIT: its code runs from an anonymous executable page (pause; jmp back),
# named only by its perf map.
cat >"$tmp/jit.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
int main(void)
{
	static const unsigned char spin[] = { 0xf3, 0x90, 0xeb, 0xfc };
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED)
		return 1;
	memcpy(page, spin, sizeof(spin));
	if (mprotect(page, 4096, PROT_READ | PROT_EXEC))
		return 1;
	printf("ready %lx\n", (unsigned long)page);
	fflush(stdout);
	((void (*)(void))page)();
	return 0;
}
EOF
cc -O1 -o "$tmp/jit.full" "$tmp/jit.c" || skip_all "cannot build the target"
# objcopy reads the file it links for its CRC; the FIFO takes its name after.
mkdir "$tmp/crc"
objcopy --only-keep-debug "$tmp/jit.full" "$tmp/crc/jit.debug"
objcopy --strip-all --add-gnu-debuglink="$tmp/crc/jit.debug" "$tmp/jit.full" "$tmp/jit"
mkfifo "$tmp/jit.debug"

# start_jit NAME USER: runs the target as USER, sets jpid and jpage.
start_jit() {
	local out=$tmp/$1.out
	setpriv --reuid="$2" --regid="$2" --clear-groups "$tmp/jit" >"$out" 2>&1 &
	jpid=$!
	on_exit "kill -9 $jpid; rm -f /tmp/perf-$jpid.map"
	wait_for 10 grep -qs ready "$out" || skip_all "the target did not start: $(cat "$out")"
	jpage=$(sed -n 's/^ready //p' "$out")
}

nobody=$(id -u nobody 2>/dev/null || echo 65534)
start_jit own "$nobody"
own=$jpid
printf '%s 4 jit_named_by_its_own_map\n' "$jpage" >"/tmp/perf-$own.map"
chown "$nobody" "/tmp/perf-$own.map"

start_jit fifo "$nobody"
fifo=$jpid
mkfifo "/tmp/perf-$fifo.map"

start_jit big "$nobody"
big=$jpid
printf '\n%s 4 jit_named_by_a_512MiB_map\n' "$jpage" >"/tmp/perf-$big.map"
truncate -s 512M "/tmp/perf-$big.map"
printf '%s 4 jit_named_by_a_512MiB_map\n' "$jpage" >>"/tmp/perf-$big.map"

start_jit foreign "$nobody"
foreign=$jpid
printf '%s 4 jit_named_by_another_user\n' "$jpage" >"/tmp/perf-$foreign.map"
chown 12345 "/tmp/perf-$foreign.map"

"$LATGOV" flame -p "$own,$fifo,$big,$foreign" -d 2 --hz 199 -o "$tmp/out" \
	>"$tmp/flame.out" 2>"$tmp/flame.err" &
fpid=$!
on_exit "kill -INT $fpid"
if wait_for 30 bash -c "! kill -0 $fpid 2>/dev/null"; then
	ok "latgov flame ends on its own after -d"
	wait "$fpid"
	check "latgov flame exits 0" test $? -eq 0
else
	not_ok "latgov flame ends on its own after -d" "$(tail -3 "$tmp/flame.err")"
	kill -9 "$fpid"
	exit 1
fi
check "writes summary.txt" test -s "$tmp/out/summary.txt"
folded=$tmp/out/oncpu.folded
check "the target's own perf map names its JIT frames" grep -q "jit_named_by_its_own_map" "$folded"
check "a 512 MiB perf map is not read" bash -c "! grep -q jit_named_by_a_512MiB_map '$folded'"
check "another user's perf map is not read" bash -c "! grep -q jit_named_by_another_user '$folded'"
# What was refused is said, not only skipped: the FIFO debug link, the FIFO,
# oversize and foreign perf maps.
check "summary.txt counts the files it refused" grep -Eq '^refused: [1-9][0-9]* files of the targets' "$tmp/out/summary.txt"
