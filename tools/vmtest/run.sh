#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs latgov's root integration tests on a second kernel: Debian's 6.1 LTS
# (no sock_*_length tracepoints, so the tracer's syscall fallback is used) with
# a pure cgroup v2 hierarchy (cgroup_no_v1=all), under qemu.
#
# How (see PLATFORM.md for why each choice): TCG, because this machine's KVM
# cannot run a stock kernel; the uncompressed vmlinux booted by qboot (~4 s);
# a busybox initramfs that mounts the host's / read-only over virtio-9p and
# chroots into it, so host-built, dynamically linked binaries run unchanged.
# The guest writes only to tmpfs. Inner TAP lines come back on the serial
# console and are printed here, so the caller counts them as its own.
#
#   tools/vmtest/run.sh [TEST-FILTER]
# Exit: 0 all passed or skipped (one SKIP line says why), 1 a failure or a hung VM.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
LATGOV=${LATGOV:-$ROOT/latgov}
FILTER=${1:-}
TIMEOUT=${VMTEST_TIMEOUT:-270}
WORK=$BUILD/vmtest

skip() { echo "ok 1 - vmtest # SKIP $1"; exit 0; }

kver=$(ls /lib/modules 2>/dev/null | grep -E '^6\.1\.' | sort -V | tail -n 1)
[[ -n $kver && -f /boot/vmlinuz-$kver ]] ||
	skip "no 6.1 kernel package: install linux-image-amd64 (make vmtest does)"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 missing: install qemu-system-x86"
[[ -x /bin/busybox ]] && /bin/busybox --list >/dev/null 2>&1 ||
	skip "busybox missing: install busybox-static"
[[ -f /usr/share/qemu/qboot.rom ]] || skip "qboot.rom missing: install qemu-system-data"

mkdir -p "$WORK"

# --- the uncompressed kernel: the bzImage carries it xz-compressed --------------
vmlinux=$WORK/vmlinux-$kver
if [[ ! -s $vmlinux ]]; then
	off=$(LC_ALL=C grep -obUaP '\xFD7zXZ\x00' "/boot/vmlinuz-$kver" | head -n 1 | cut -d: -f1)
	[[ -n $off ]] || { echo "not ok 1 - vmtest: no xz payload in /boot/vmlinuz-$kver"; exit 1; }
	# xz stops at the end of its stream and complains about what follows: expected.
	tail -c +$((off + 1)) "/boot/vmlinuz-$kver" | xz -dc >"$vmlinux.tmp" 2>/dev/null
	[[ -s $vmlinux.tmp ]] && mv "$vmlinux.tmp" "$vmlinux" ||
		{ echo "not ok 1 - vmtest: could not decompress /boot/vmlinuz-$kver"; exit 1; }
fi

# --- the initramfs: busybox, the 9p modules, and /init -------------------------
initrd=$WORK/initramfs-$kver.cpio.gz
stage=$WORK/initramfs
rm -rf "$stage" && mkdir -p "$stage"/{bin,dev,proc,sys,host,modules}
cp /bin/busybox "$stage/bin/busybox"
for m in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_legacy_dev \
	drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci net/9p/9pnet \
	net/9p/9pnet_virtio fs/netfs/netfs fs/fscache/fscache fs/9p/9p; do
	cp "/lib/modules/$kver/kernel/$m.ko" "$stage/modules/" ||
		{ echo "not ok 1 - vmtest: module $m.ko missing from /lib/modules/$kver"; exit 1; }
done
cp "$ROOT/tools/vmtest/init" "$stage/init"
chmod +x "$stage/init"
(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd"

# --- boot ---------------------------------------------------------------------
log=$WORK/console.log
cmdline="console=ttyS0 cgroup_no_v1=all panic=-1 loglevel=3 rdinit=/init"
cmdline+=" latgov.root=$ROOT latgov.build=$BUILD latgov.bin=$LATGOV latgov.filter=${FILTER:-all}"
echo "# vmtest: booting Linux $kver under qemu (TCG), cgroup v2 only; timeout ${TIMEOUT}s"
timeout --kill-after=10 "$TIMEOUT" qemu-system-x86_64 \
	-accel tcg,thread=multi -cpu max -smp 2 -m 2048 \
	-bios /usr/share/qemu/qboot.rom -kernel "$vmlinux" -initrd "$initrd" -append "$cmdline" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-nographic -no-reboot -nodefaults -serial stdio </dev/null >"$log" 2>&1
rc=$?

# The guest's own results, between markers, are the test output.
# The guest's own closing line is dropped: the caller prints the one that counts.
sed -n '/^LATGOV-VM-BEGIN/,/^LATGOV-VM-END/p' "$log" | sed -e '/^LATGOV-VM-/d' -e 's/\r$//' |
	sed -E -e '/^[0-9]+ passed, [0-9]+ failed/d' -e 's/^==/# ==/' \
		-e 's/^(not ok|ok)( [0-9]+)? - /\1\2 - vm(6.1,cgroup2): /'
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
