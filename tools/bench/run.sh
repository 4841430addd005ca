#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# make bench: runs every benchmark in tools/bench/*.sh (each runnable alone),
# collects the JSON each prints, and writes tools/bench/results.json and
# tools/bench/results.md with the machine, the date and the commit. Each figure
# is a median with its range over the runs, beside its goal. Nothing here
# asserts: a missed goal is reported as missed.
#
#   tools/bench/run.sh [--smoke] [--out DIR] [NAME...]
# --smoke runs each benchmark at its smallest size (seconds, not minutes) and
# only checks that it produced well-formed results: it is part of make test.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
export LATGOV=${LATGOV:-$ROOT/latgov}
export BENCH_SMOKE=0
out=$ROOT/tools/bench
names=()
while (($#)); do
	case $1 in
	--smoke) BENCH_SMOKE=1 ;;
	--out) out=$2; shift ;;
	-h | --help) sed -n '3,12p' "$0"; exit 0 ;;
	*) names+=("$1") ;;
	esac
	shift
done
if ((EUID != 0)); then
	echo "bench: needs root (perf stat -a, BPF, cgroups): run 'sudo make bench'" >&2
	exit 2
fi
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ((${#names[@]} == 0)); then
	for f in "$ROOT"/tools/bench/*.sh; do
		n=$(basename "$f" .sh)
		[[ $n == run || $n == lib ]] || names+=("$n")
	done
fi

start=$(date +%s)
status=0
for n in "${names[@]}"; do
	echo "bench: $n" >&2
	if ! bash "$ROOT/tools/bench/$n.sh" >"$tmp/$n.json" 2>"$tmp/$n.log"; then
		echo "bench: $n failed; its log:" >&2
		sed 's/^/  /' "$tmp/$n.log" >&2
		status=1
		continue
	fi
	if ! python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["name"] and isinstance(d["figures"], list) and d["figures"]' "$tmp/$n.json" 2>/dev/null; then
		echo "bench: $n printed no well-formed result:" >&2
		head -c 2000 "$tmp/$n.json" >&2
		status=1
	fi
done

python3 "$ROOT/tools/bench/render.py" --dir "$tmp" --out "$out" --smoke "$BENCH_SMOKE" \
	--seconds $(($(date +%s) - start)) --commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" ||
	status=1
echo "bench: wrote $out/results.md and $out/results.json" >&2
exit $status
