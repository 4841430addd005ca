#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Installs the Debian packages latgov needs to build, test, demo and benchmark.
# Does nothing (and needs no root) when every package is already installed.
set -euo pipefail

packages=(
	# build
	make gcc clang llvm pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev
	libyaml-dev libmicrohttpd-dev libjson-c-dev
	# tests
	libcmocka-dev nginx-light redis-server redis-tools curl iproute2 procps python3
	# benchmarks
	linux-perf bpftrace wrk
)

# "--vm": also what 'make vmtest' needs, a second kernel (Debian's 6.1 LTS) and qemu.
if [[ ${1:-} == --vm ]]; then
	packages+=(qemu-system-x86 linux-image-amd64 busybox-static xz-utils zstd cpio)
fi

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $status == "install ok installed" ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

echo "deps: installing missing Debian packages: ${missing[*]}"
if ((EUID != 0)); then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo -- "$0" "$@"
	fi
	echo "deps: not root and no sudo: run 'apt-get install ${missing[*]}' as root, then retry" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them only when an install fails.
if ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
