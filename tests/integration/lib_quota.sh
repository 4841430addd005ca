# SPDX-License-Identifier: GPL-2.0-only
# A cgroup of the test's own with a tight CFS quota, on cgroup v1's cpu
# controller or on cgroup v2 (the VM), removed at exit after its processes.
# Source it after lib.sh; do not run it.
#
#   quota_test_cgroup QUOTA_US   QUOTA_US of CPU per 100 ms period; sets QCG (the
#                                directory: write PIDs to $QCG/cgroup.procs) and
#                                throttled_us (its cpu.stat throttled time, in us).
#                                Skips the test when there is no cpu controller.

quota_test_cgroup() {
	if [[ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]]; then
		QCG=/sys/fs/cgroup/cpu/latgov-test-$$
		mkdir "$QCG" || skip_all "cannot create $QCG"
		echo 100000 >"$QCG/cpu.cfs_period_us" && echo "$1" >"$QCG/cpu.cfs_quota_us"
		throttled_us() { awk '$1 == "throttled_time" { print int($2 / 1000) }' "$QCG/cpu.stat"; }
	elif grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
		QCG=/sys/fs/cgroup/latgov-test-$$
		grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control || echo +cpu >/sys/fs/cgroup/cgroup.subtree_control
		mkdir "$QCG" || skip_all "cannot create $QCG"
		echo "$1 100000" >"$QCG/cpu.max"
		throttled_us() { awk '$1 == "throttled_usec" { print $2 }' "$QCG/cpu.stat"; }
	else
		skip_all "no cgroup cpu controller (v1 cpu or v2 cpu) to set a quota"
	fi
	# Last registered runs first: the processes go before the cgroup.
	on_exit "rmdir $QCG"
	on_exit "for p in \$(cat $QCG/cgroup.procs 2>/dev/null); do kill -9 \$p; done; sleep 0.2"
}
