#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs every unit test (cmocka, TAP output) and every integration test
# (tests/integration/*.sh, TAP lines via tests/integration/lib.sh), counts the
# results, and ends with one line "N passed, N failed, N skipped". Exits non-zero
# if anything failed.
#
# Then, unless it is itself inside the VM, the integration tests marked
# "# vmtest: yes" run again on a 6.1 kernel with pure cgroup v2 under qemu
# (tools/vmtest/run.sh), or skip with the reason when qemu or the kernel
# package is missing.
#
#   tests/run.sh [unit|integration|vm] [NAME-FILTER]
set -uo pipefail

BUILD=${BUILD:-build}
which=${1:-all}
filter=${2:-}
cd "$(dirname "$0")/.." || exit 1
export BUILD LATGOV_ROOT=$PWD

pass=0 fail=0 skip=0
failed_names=()

# Reads TAP on stdin, echoes it, and adds to the counters.
count_tap() {
	local name=$1 line seen=0
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case $line in
		"not ok"*) fail=$((fail + 1)); seen=1; failed_names+=("$name: ${line#not ok }") ;;
		ok*"# SKIP"* | ok*"# skip"*) skip=$((skip + 1)); seen=1 ;;
		ok*) pass=$((pass + 1)); seen=1 ;;
		esac
	done
	return $((seen == 0))
}

run_one() {
	local name=$1 limit=$2 rc out before=$fail saw=1 t0=$SECONDS
	shift 2
	out=$(mktemp)
	timeout --kill-after=10 "$limit" "$@" >"$out" 2>&1
	rc=$?
	count_tap "$name" <"$out" || saw=0
	rm -f "$out"
	((SECONDS - t0 >= 5)) && echo "# $name took $((SECONDS - t0)) s"
	# A hang, a crash or a non-zero exit without a "not ok" line is a failure too,
	# and so is a test that reports nothing at all.
	if ((rc == 124 || rc == 137)); then
		echo "not ok - $name: timed out after ${limit}s"
		fail=$((fail + 1)); failed_names+=("$name: timed out after ${limit}s")
	elif ((rc != 0 && fail == before)); then
		echo "not ok - $name: exited with status $rc"
		fail=$((fail + 1)); failed_names+=("$name: exited with status $rc")
	elif ((!saw)); then
		echo "not ok - $name: reported no results"
		fail=$((fail + 1)); failed_names+=("$name: reported no results")
	fi
}

if [[ $which == all || $which == unit ]]; then
	echo "== unit tests"
	for t in "$BUILD"/tests/test_*; do
		[[ -x $t ]] || continue
		[[ -z $filter || $t == *"$filter"* ]] || continue
		echo "# $(basename "$t")"
		CMOCKA_MESSAGE_OUTPUT=TAP run_one "$(basename "$t")" 120 "$t"
	done
fi

if [[ $which == all || $which == integration ]]; then
	echo "== integration tests"
	# Inside the VM a hung test must end well before the VM's own timeout
	# (tools/vmtest/run.sh), so that its partial output and the tests after it
	# are still reported.
	test_limit=600
	[[ ${LATGOV_VM:-} == 1 ]] && test_limit=120
	for t in tests/integration/*.sh; do
		[[ $(basename "$t") == lib*.sh ]] && continue
		# Inside the VM (12x slower) only the tests that carry the marker run.
		[[ ${LATGOV_VM:-} == 1 ]] && ! grep -q '^# vmtest: yes' "$t" && continue
		[[ -z $filter || $t == *"$filter"* ]] || continue
		echo "# $(basename "$t" .sh)"
		run_one "$(basename "$t" .sh)" "$test_limit" bash "$t"
	done
fi

if [[ ($which == all || $which == vm) && ${LATGOV_VM:-} != 1 ]]; then
	echo "== integration tests on Linux 6.1 with cgroup v2 (vmtest)"
	if ((EUID != 0)); then
		echo "ok - vmtest # SKIP needs root"
		skip=$((skip + 1))
	else
		run_one vmtest 480 bash tools/vmtest/run.sh "$filter"
	fi
fi

if ((${#failed_names[@]})); then
	echo "== failures"
	printf '  %s\n' "${failed_names[@]}"
fi
echo "$pass passed, $fail failed, $skip skipped"
((fail == 0))
