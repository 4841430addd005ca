# SPDX-License-Identifier: GPL-2.0-only
# A cgroup of the test's own on the cgroup v1 hierarchies (cpu, cpuacct,
# memory), removed at exit with everything in it, and any latgov state file
# left for it. Source it after lib.sh; do not run it.
#
#   v1_test_cgroup   skips the test unless v1 cpu and memory are mounted;
#                    sets CG (the name), CTRLS, CPU and MEM (the cpu and memory
#                    paths). Start processes in it with:
#                    bash -c "for c in $CTRLS; do echo \$\$ > /sys/fs/cgroup/\$c/$CG/cgroup.procs; done; exec CMD"
#   v1_start_demo PORT LOG
#                    the demo inference service (2 threads, for at most 120 s) in
#                    that cgroup; the test ends with "not ok" if it does not listen

_v1_cleanup_cgroup() {
	local c d i p busy
	for ((i = 0; i < 50; i++)); do
		busy=0
		for c in $CTRLS; do
			d=/sys/fs/cgroup/$c/$CG
			[[ -d $d ]] || continue
			while read -r p; do kill -9 "$p" 2>/dev/null; busy=1; done <"$d/cgroup.procs"
		done
		((busy)) || break
		sleep 0.1
	done
	for c in $CTRLS; do rmdir "/sys/fs/cgroup/$c/$CG" 2>/dev/null; done
	grep -ls "^target /sys/fs/cgroup/cpu/$CG\$" /run/latgov/*.state 2>/dev/null |
		while read -r f; do rm -f "$f" "${f%.state}.lock"; done
}

v1_test_cgroup() {
	local c
	[[ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us && -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]] ||
		skip_all "needs cgroup v1 cpu and memory hierarchies at /sys/fs/cgroup/{cpu,memory}"
	CG=latgov-test-$$
	CTRLS="cpu cpuacct memory"
	on_exit _v1_cleanup_cgroup
	for c in $CTRLS; do mkdir "/sys/fs/cgroup/$c/$CG" || skip_all "cannot create /sys/fs/cgroup/$c/$CG"; done
	CPU=/sys/fs/cgroup/cpu/$CG
	MEM=/sys/fs/cgroup/memory/$CG
}

v1_start_demo() {
	bash -c "for c in $CTRLS; do echo \$\$ > /sys/fs/cgroup/\$c/$CG/cgroup.procs; done; exec timeout 120 '$BUILD/demo-infer' --port $1 --threads 2" >"$2" 2>&1 &
	on_exit "kill -9 $! 2>/dev/null"
	wait_port "$1" 10 || { not_ok "demo-infer listening" "$(cat "$2")"; exit 1; }
}
