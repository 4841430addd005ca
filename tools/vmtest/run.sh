#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs latgov's root integration tests on a second kernel: Debian's 6.1 LTS
# (no sock_*_length tracepoints, so the tracer's syscall fallback is used) with
# a pure cgroup v2 hierarchy (cgroup_no_v1=all), under qemu.
#
# How, and why each choice: TCG, because this machine's KVM cannot run a stock
# kernel; under TCG every guest instruction is emulated, so the boot does as
# little as it can: qboot, a minimal firmware, starts the uncompressed vmlinux,
# which has nothing left to decompress; a busybox initramfs that mounts the
# host's / read-only over virtio-9p and chroots into it, so host-built,
# dynamically linked binaries run unchanged. The guest writes only to tmpfs.
# Inner TAP lines come back on the serial console and are printed here, so the
# caller counts them as its own.
#
#   tools/vmtest/run.sh [TEST-FILTER]
# Exit: 0 all passed or skipped (one SKIP line says why), 1 a failure or a hung VM.
#
# The same VM runs the instruction-count benchmark (tools/bench/instructions.sh):
#   VMTEST_KERNEL=6.1|6.18   which kernel (tools/vmtest/kernel.sh; default 6.1)
#   VMTEST_ICOUNT=1          one vCPU under "-icount shift=0": the guest's clock
#                            advances exactly 1 ns per instruction it executes,
#                            so CPU time in the guest is an instruction count
#   VMTEST_CMD='SCRIPT ARGS' run this (a path under the tree) instead of the
#                            tests; its output is printed as it is
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
LATGOV=${LATGOV:-$ROOT/latgov}
FILTER=${1:-}
TIMEOUT=${VMTEST_TIMEOUT:-420}
SERIES=${VMTEST_KERNEL:-6.1}
ICOUNT=${VMTEST_ICOUNT:-0}
CMD=${VMTEST_CMD:-}
WORK=$BUILD/vmtest

skip() { echo "ok 1 - vmtest # SKIP $1"; exit 0; }

command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 missing: install qemu-system-x86"
[[ -x /bin/busybox ]] && /bin/busybox --list >/dev/null 2>&1 ||
	skip "busybox missing: install busybox-static"
[[ -f /usr/share/qemu/qboot.rom ]] || skip "qboot.rom missing: install qemu-system-data"

# --- the kernel and the 9p modules (tools/vmtest/kernel.sh) -------------------
mkdir -p "$WORK"
kver= vmlinux= modules=
{ read -r kver; read -r vmlinux; read -r modules; } < <(bash "$ROOT/tools/vmtest/kernel.sh" "$SERIES" "$WORK" 2>"$WORK/kernel.err")
[[ -n ${modules:-} ]] || skip "$(cat "$WORK/kernel.err")"

# --- the initramfs: busybox, the 9p modules, and /init -------------------------
initrd=$WORK/initramfs-$kver.cpio.gz
stage=$WORK/initramfs
rm -rf "$stage" && mkdir -p "$stage"/{bin,dev,proc,sys,host,modules}
cp /bin/busybox "$stage/bin/busybox"
cp "$modules"/* "$stage/modules/"
cp "$ROOT/tools/vmtest/init" "$stage/init"
chmod +x "$stage/init"
(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd"

# --- boot ---------------------------------------------------------------------
log=$WORK/console.log
cmdline="console=ttyS0 cgroup_no_v1=all panic=-1 loglevel=3 rdinit=/init"
cmdline+=" latgov.root=$ROOT latgov.build=$BUILD latgov.bin=$LATGOV latgov.filter=${FILTER:-all}"
# The command travels on the kernel command line: no spaces there.
[[ -n $CMD ]] && cmdline+=" latgov.cmd=${CMD// /,}"
if ((ICOUNT)); then
	# icount needs one TCG thread; sleep=off jumps idle time to the next timer.
	accel=(-accel tcg -icount shift=0,sleep=off -smp 1)
else
	accel=(-accel tcg,thread=multi -smp 2)
fi
how=TCG
((ICOUNT)) && how="TCG, icount"
echo "# vmtest: booting Linux $kver under qemu ($how), cgroup v2 only; timeout ${TIMEOUT}s"
timeout --kill-after=10 "$TIMEOUT" qemu-system-x86_64 \
	"${accel[@]}" -cpu max -m 2048 \
	-bios /usr/share/qemu/qboot.rom -kernel "$vmlinux" -initrd "$initrd" -append "$cmdline" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-nographic -no-reboot -nodefaults -serial stdio </dev/null >"$log" 2>&1
rc=$?

# The guest's own results, between markers, are the test output.
# The guest's own closing line is dropped: the caller prints the one that counts.
if [[ -n $CMD ]]; then
	sed -n '/^LATGOV-VM-BEGIN/,/^LATGOV-VM-END/p' "$log" | sed -e '/^LATGOV-VM-/d' -e 's/\r$//'
else
	sed -n '/^LATGOV-VM-BEGIN/,/^LATGOV-VM-END/p' "$log" | sed -e '/^LATGOV-VM-/d' -e 's/\r$//' |
		sed -E -e '/^[0-9]+ passed, [0-9]+ failed/d' -e 's/^==/# ==/' \
			-e "s/^(not ok|ok)( [0-9]+)? - /\\1\\2 - vm($SERIES,cgroup2): /"
fi
status=$(sed -n 's/^LATGOV-VM-END status=\([0-9]*\).*/\1/p' "$log" | tr -d '\r')
if ((rc == 124 || rc == 137)); then
	echo "not ok - vmtest: the VM hung and was killed after ${TIMEOUT}s; last console lines:"
	tail -n 30 "$log" | sed 's/^/#   /'
	exit 1
fi
if [[ -z $status ]]; then
	echo "not ok - vmtest: the guest ended without reporting (qemu exit $rc); last console lines:"
	tail -n 30 "$log" | sed 's/^/#   /'
	exit 1
fi
exit $((status != 0))
