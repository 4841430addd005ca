#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Finds or fetches a Debian kernel for the VM runs and prepares it for qemu: the
# uncompressed vmlinux (qboot boots it directly, with no decompression to
# emulate) and the modules the guest needs to mount the host over 9p,
# decompressed.
#
#   tools/vmtest/kernel.sh SERIES WORKDIR
#     SERIES 6.1   Debian 12's own kernel (package linux-image-amd64, installed
#                  by 'tools/deps.sh --vm'): no sock_*_length tracepoints
#     SERIES 6.18  trixie-backports' kernel: the development machine's series
#                  (sock_*_length, tcp_sendmsg_locked, tcp_probe with dynptr).
#                  Its package is downloaded from Debian's archive into WORKDIR
#                  (a private package list: the machine's apt sources are not
#                  touched) and only the image and the 9p modules are unpacked;
#                  nothing is installed
# Prints three lines: the kernel release, the vmlinux path, the modules folder.
# Exit 0; 3 with the reason on stderr if the kernel cannot be had here.
set -uo pipefail

series=${1:?usage: kernel.sh SERIES WORKDIR}
work=${2:?usage: kernel.sh SERIES WORKDIR}
mkdir -p "$work"

unavailable() { echo "$*" >&2; exit 3; }

# Where the kernel lives once unpacked: DIR/boot/vmlinuz-KVER, DIR/lib/modules/KVER.
case $series in
6.1)
	root=
	kver=$(ls /lib/modules 2>/dev/null | grep -E '^6\.1\.' | sort -V | tail -n 1)
	[[ -n $kver && -f /boot/vmlinuz-$kver ]] ||
		unavailable "no 6.1 kernel package: install linux-image-amd64 (tools/deps.sh --vm does)"
	;;
6.18)
	root=$work/linux-6.18
	kver=$(ls "$root/lib/modules" 2>/dev/null | sort -V | tail -n 1)
	if [[ -z $kver ]]; then
		apt=$work/apt
		mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
		# The machine's own Debian mirror (the one its apt uses for the release itself).
		mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' 2>/dev/null |
			awk '$2 !~ /-/ {print $1; exit}')
		[[ -n $mirror ]] || unavailable "no Debian mirror in this machine's apt configuration"
		echo "deb ${mirror%/} trixie-backports main" >"$apt/sources.list"
		opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
			-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o APT::Sandbox::User=root)
		apt-get -q "${opts[@]}" update >"$apt/update.log" 2>&1 ||
			unavailable "cannot read trixie-backports' package list (see $apt/update.log)"
		pkg=$(apt-cache "${opts[@]}" search '^linux-image-6\.18\.[0-9.]+\+deb13-amd64$' |
			awk '{print $1}' | sort -V | tail -n 1)
		[[ -n $pkg ]] || unavailable "trixie-backports has no linux-image-6.18 package"
		(cd "$apt" && apt-get -q "${opts[@]}" download "$pkg" >"$apt/download.log" 2>&1) ||
			unavailable "cannot download $pkg (see $apt/download.log)"
		# Only what the VM boots from: the image and the 9p stack (the
		# package's other modules, most of its size, are never unpacked).
		rm -rf "$root.tmp" && mkdir -p "$root.tmp"
		# Trixie is merged-/usr: its modules are under usr/lib.
		dpkg-deb --fsys-tarfile "$apt"/"$pkg"_*.deb | tar -x -C "$root.tmp" --wildcards \
			'./boot/vmlinuz-*' './usr/lib/modules/*/kernel/fs/9p/*' './usr/lib/modules/*/kernel/net/9p/*' \
			'./usr/lib/modules/*/kernel/fs/netfs/*' 2>/dev/null
		rm -f "$apt"/"$pkg"_*.deb
		mkdir -p "$root.tmp/lib" && mv "$root.tmp/usr/lib/modules" "$root.tmp/lib/modules" 2>/dev/null
		ls "$root.tmp"/boot/vmlinuz-* "$root.tmp"/lib/modules/*/kernel/fs/9p >/dev/null 2>&1 &&
			mv "$root.tmp" "$root" || unavailable "cannot unpack $pkg"
		kver=$(ls "$root/lib/modules" | sort -V | tail -n 1)
	fi
	;;
*)
	unavailable "unknown kernel series '$series' (6.1 or 6.18)"
	;;
esac

# The bzImage carries vmlinux compressed (xz for 6.1, zstd for 6.18): find the
# stream's magic and decompress from there; the decompressor stops at its end.
vmlinux=$work/vmlinux-$kver
if [[ ! -s $vmlinux ]]; then
	image=$root/boot/vmlinuz-$kver
	for magic in '\xFD7zXZ\x00:xz' '\x28\xB5\x2F\xFD:zstd'; do
		off=$(LC_ALL=C grep -obUaP "${magic%:*}" "$image" | head -n 1 | cut -d: -f1)
		[[ -n $off ]] || continue
		tail -c +$((off + 1)) "$image" | "${magic#*:}" -dc >"$vmlinux.tmp" 2>/dev/null
		if [[ $(head -c 4 "$vmlinux.tmp" | od -An -tx1 | tr -d ' ') == 7f454c46 ]]; then
			mv "$vmlinux.tmp" "$vmlinux"
			break
		fi
	done
	rm -f "$vmlinux.tmp"
	[[ -s $vmlinux ]] || unavailable "could not find the compressed kernel inside $image"
fi

# The 9p stack as plain .ko files for busybox insmod (6.18 ships them .ko.xz);
# virtio_pci is built in on 6.18, a module on 6.1. modules.order is the load order.
mods=$work/modules-$kver
if [[ ! -f $mods/order ]]; then
	rm -rf "$mods" && mkdir -p "$mods"
	src=$root/lib/modules/$kver/kernel
	for m in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_legacy_dev \
		drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci fs/netfs/netfs \
		fs/fscache/fscache net/9p/9pnet net/9p/9pnet_virtio fs/9p/9p; do
		if [[ -f $src/$m.ko ]]; then
			cp "$src/$m.ko" "$mods/"
		elif [[ -f $src/$m.ko.xz ]]; then
			xz -dc "$src/$m.ko.xz" >"$mods/$(basename "$m").ko"
		else
			continue	# built in, or not needed by this kernel
		fi
		basename "$m" >>"$mods/order"
	done
	grep -qx 9p "$mods/order" 2>/dev/null || unavailable "no 9p module in $src"
fi

printf '%s\n%s\n%s\n' "$kver" "$vmlinux" "$mods"
