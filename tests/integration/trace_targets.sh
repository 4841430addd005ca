#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# latgov trace target handling: bad targets exit 2 with a message naming
# them; a target that exits mid-run still gets its summary (exit 0, a note);
# not root is refused with the fix; --cgroup finds a v1 cgroup's processes;
# -- COMMAND runs nginx in a cgroup of latgov's own, follows the worker it
# forks, and removes the cgroup; a traced client's calls are client-side; the
# syscall fallback loads and counts. Hostile targets: another user's listener
# on 127.0.0.2 with the service's port is left out by --port ADDR:PORT and
# makes govern --port PORT refuse; --cgroup refuses the root of a hierarchy
# (unless --all-processes) and a plain folder holding a cgroup.procs file;
# COMMAND starts with no signal ignored or blocked that latgov's caller did
# not ignore.
# vmtest: yes
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_trace.sh"
source "$(dirname "$0")/lib_nginx.sh"
need_root
[[ -x $HELPERS/lg_httpd && -x $HELPERS/lg_httpc ]] || skip_all "test helpers not built (make unit-tests)"

dir=$(mktemp -d /tmp/latgov-test-trace.XXXXXX)
on_exit "rm -rf $dir"

# --- bad input ---------------------------------------------------------------
bad_target() {
	local what=$1 pattern=$2 rc
	shift 2
	"$LATGOV" trace "$@" -d 1 >"$dir/bad.out" 2>"$dir/bad.err"
	rc=$?
	if ((rc == 2)) && grep -q "$pattern" "$dir/bad.err"; then ok "$what: exit 2, names it"
	else not_ok "$what" "exit $rc: $(cat "$dir/bad.err")"; fi
}
# A PID that is free: above any running one, below pid_max.
pid=$(($(cat /proc/sys/kernel/pid_max) - 1))
while [[ -e /proc/$pid ]]; do pid=$((pid - 1)); done
bad_target "unknown PID" "PID $pid" -p "$pid"
port=$(free_port)
bad_target "port nobody listens on" "port $port" --port "$port"
bad_target "bad cgroup path" "latgov-no-such-cgroup" --cgroup /sys/fs/cgroup/cpu/latgov-no-such-cgroup
bad_target "COMMAND that does not exist" "cannot run the command" -- "$dir/no-such-command"
"$LATGOV" trace -d 1 -- "$dir/no-such-command" 2>/dev/null &
lp=$!
wait $lp
check "no cgroup left behind by a COMMAND that failed" test -z "$(ls -d /sys/fs/cgroup/*/latgov-$lp /sys/fs/cgroup/latgov-$lp 2>/dev/null)"

# --- not root ------------------------------------------------------------------
if command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$LATGOV" trace -p 1 -d 1 >"$dir/nr.out" 2>"$dir/nr.err"
	rc=$?
	if ((rc != 0)) && grep -q "root" "$dir/nr.err" && grep -q sudo "$dir/nr.err"; then ok "not root: refused, says to use sudo"
	else not_ok "not root" "exit $rc: $(cat "$dir/nr.err")"; fi
else
	skip "not root" "setpriv not installed"
fi

# --- the target exits mid-run ----------------------------------------------------
port=$(free_port)
"$HELPERS/lg_httpd" "$port" &
srv=$!
on_exit "kill $srv"
wait_port "$port" || not_ok "lg_httpd starts"
trace_start "$dir" -p "$srv" --summary "$dir/exit.json" || not_ok "latgov starts"
"$HELPERS/lg_httpc" "$port" 40 /hello >/dev/null
kill "$srv"
for ((i = 0; i < 100; i++)); do kill -0 "$TRACE_PID" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$TRACE_PID" 2>/dev/null; then
	not_ok "latgov ends when the target exits" "still running 5 s after the target exited"
	trace_stop
else
	trace_wait
	check "target exited: exit 0" test "$TRACE_RC" -eq 0
	check "target exited: says so" grep -q "target exited" "$dir/latgov.err"
	check_count "target exited: summary so far" "$dir/exit.json" "GET /hello" 40
fi

# --- --cgroup (v1 cpu controller, or pure v2) and the syscall fallback ----------------
if [[ -d /sys/fs/cgroup/cpu ]]; then cg=/sys/fs/cgroup/cpu/latgov-test-$$; else cg=/sys/fs/cgroup/latgov-test-$$; fi
if mkdir "$cg" 2>/dev/null; then
	on_exit "rmdir $cg"
	port=$(free_port)
	"$HELPERS/lg_httpd" "$port" &
	srv2=$!
	on_exit "kill $srv2"
	echo "$srv2" >"$cg/cgroup.procs"
	wait_port "$port" || not_ok "lg_httpd starts"
	LATGOV_FORCE_SYSCALL_PATH=1 trace_start "$dir" --cgroup "$cg" --summary "$dir/cg.json" ||
		not_ok "latgov --cgroup starts"
	check "syscall fallback chosen when forced" grep -q "hooks: syscalls" "$dir/latgov.err"
	"$HELPERS/lg_httpc" "$port" 70 /hello >/dev/null
	"$HELPERS/lg_httpc" "$port" 10 /hello --new >/dev/null
	trace_stop
	check_count "--cgroup with the syscall fallback" "$dir/cg.json" "GET /hello" 80
	kill "$srv2"
	wait "$srv2" 2>/dev/null
else
	skip "--cgroup" "cannot create $cg"
fi

# --- --cgroup: only a cgroup, and not the whole host unless asked ----------------------
bad_target "--cgroup / (the root: every process on the host)" "root of its hierarchy" --cgroup /
bad_target "--cgroup '' (the root too)" "root of its hierarchy" --cgroup ''
mkdir "$dir/fakecg"
echo $$ >"$dir/fakecg/cgroup.procs"
bad_target "--cgroup on a plain folder with a cgroup.procs file" "not on a cgroup file system" --cgroup "$dir/fakecg"

# --- --port with another user's listener on the same port, another address -------------
# The system's python: a user's own (pyenv) may be out of the other user's reach.
if command -v setpriv >/dev/null && [[ -x /usr/bin/python3 ]]; then
	if [[ -d /sys/fs/cgroup/cpu ]]; then pcg=/sys/fs/cgroup/cpu/latgov-test-port-$$; else pcg=/sys/fs/cgroup/latgov-test-port-$$; fi
	mkdir "$pcg" && on_exit "rmdir $pcg"
	port=$(free_port)
	"$HELPERS/lg_httpd" "$port" &
	svc=$!
	on_exit "kill $svc"
	# Not root, not latgov's business: a local user's listener on the same port.
	setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c 'import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.2", int(sys.argv[1])))
s.listen(8)
print("ready", flush=True)
time.sleep(120)' "$port" >"$dir/nobody.out" &
	nob=$!
	on_exit "kill $nob"
	# Both in one cgroup: only the owner tells them apart (and a governor would take it).
	echo "$svc" >"$pcg/cgroup.procs"
	echo "$nob" >"$pcg/cgroup.procs"
	if wait_port "$port" && wait_line "$dir/nobody.out" ready; then
		trace_start "$dir" --port "127.0.0.1:$port" --summary "$dir/addr.json" || not_ok "--port ADDR:PORT starts"
		"$HELPERS/lg_httpc" "$port" 20 /hello >/dev/null
		trace_stop
		check "--port 127.0.0.1:PORT: the service alone" grep -q 'tracing 1 process ' "$dir/latgov.err"
		check_count "--port 127.0.0.1:PORT: its requests" "$dir/addr.json" "GET /hello" 20
		trace_start "$dir" --port "$port" || not_ok "--port PORT starts"
		trace_stop
		if grep -q "tracing 2 processes" "$dir/latgov.err" && grep -q "PID $nob" "$dir/latgov.err"; then
			ok "--port PORT: traces both, names the other owner (PID $nob)"
		else
			not_ok "--port PORT with two owners" "$(cat "$dir/latgov.err")"
		fi
		cat >"$dir/policy.yaml" <<'YAML'
name: port-owners
objective: {percentile: p99, target: 50ms}
cpu: {min: 100m, max: 2}
YAML
		"$LATGOV" govern --port "$port" --policy "$dir/policy.yaml" --dry-run -d 1 >"$dir/gov.out" 2>"$dir/gov.err"
		rc=$?
		if ((rc == 2)) && grep -q "PID $nob" "$dir/gov.err"; then ok "govern --port PORT with two owners: refused, names them"
		else not_ok "govern --port PORT with two owners" "exit $rc: $(cat "$dir/gov.err")"; fi
		if [[ -e $pcg/cpu.cfs_quota_us || -e $pcg/cpu.max ]]; then
			"$LATGOV" govern --port "127.0.0.1:$port" --policy "$dir/policy.yaml" --dry-run \
				>"$dir/gov.out" 2>"$dir/gov.err" &
			gp=$!
			on_exit "kill -INT $gp"
			wait_line "$dir/gov.err" '^latgov: tracing'
			kill -INT "$gp"
			wait "$gp"
			rc=$?
			if ((rc == 0)) && grep -q "governing $pcg " "$dir/gov.err"; then ok "govern --port ADDR:PORT: governs the service's cgroup"
			else not_ok "govern --port ADDR:PORT" "exit $rc: $(cat "$dir/gov.err")"; fi
		else
			skip "govern --port ADDR:PORT" "no cpu controller in $pcg"
		fi
	else
		not_ok "the service and the other user's listener start"
	fi
	kill "$svc" "$nob"
	wait "$svc" "$nob" 2>/dev/null
else
	skip "--port against another user's listener" "setpriv or /usr/bin/python3 not installed"
fi

# --- COMMAND: started with the signal dispositions of a service, not latgov's ----------
"$LATGOV" trace -d 5 -- sh -c "grep -E '^Sig(Ign|Blk)' /proc/self/status >$dir/sig" >/dev/null 2>"$dir/sig.err"
ign=$(awk '/^SigIgn/ {print $2}' "$dir/sig")
blk=$(awk '/^SigBlk/ {print $2}' "$dir/sig")
mine=$(awk '/^SigIgn/ {print $2}' /proc/$$/status)
if [[ -n $ign && -n $blk ]] && (((0x$ign & ~0x$mine) == 0 && 0x$blk == 0)); then
	ok "COMMAND: no signal ignored or blocked that the caller did not (ignored $ign, blocked $blk)"
else
	not_ok "COMMAND's signals" "ignored ${ign:-?} (the caller: $mine), blocked ${blk:-?}: $(cat "$dir/sig.err")"
fi

# --- the target as a client: its calls to a dependency ---------------------------------
port=$(free_port)
"$HELPERS/lg_httpd" "$port" &
srv3=$!
on_exit "kill $srv3"
if wait_port "$port"; then
	"$LATGOV" trace -d 30 --summary "$dir/client.json" -- "$HELPERS/lg_httpc" "$port" 50 /hello \
		>"$dir/client.out" 2>"$dir/client.err"
	check "COMMAND that ends by itself: exit 0" test $? -eq 0
	role=$(python3 -c 'import json,sys
e = [e for e in json.load(open(sys.argv[1]))["endpoints"] if e["name"] == "GET /hello"]
print(e[0].get("role", "server") if e else "none")' "$dir/client.json")
	check "a target's outgoing calls are client-side ($role)" test "$role" = client
	check_count "client-side calls counted" "$dir/client.json" "GET /hello" 50
else
	not_ok "lg_httpd starts"
fi

# --- -- COMMAND: nginx started in latgov's own cgroup ------------------------------
if [[ -x $NGINX_BIN ]]; then
	port=$(free_port)
	mkdir -p "$dir/ng"
	chmod 755 "$dir"	# nginx's workers (www-data) must reach their files
	# Let lib_nginx write the config and files, then stop its nginx: latgov starts its own.
	nginx_start "$dir/ng" "$port" 1 || not_ok "nginx serves its files"
	nginx_stop
	LATGOV_RECORDS=$dir/cmd.records "$LATGOV" trace -d 60 --summary "$dir/cmd.json" -- \
		"$NGINX_BIN" -p "$dir/ng" -c "$dir/ng/nginx.conf" >"$dir/cmd.out" 2>"$dir/cmd.err" &
	lp=$!
	on_exit "kill -INT $lp"
	if wait_port "$port"; then
		cgdir=$(ls -d /sys/fs/cgroup/cpu/latgov-$lp /sys/fs/cgroup/latgov-$lp /sys/fs/cgroup/unified/latgov-$lp 2>/dev/null | head -1)
		check "COMMAND runs in a cgroup latgov made" test -n "$cgdir"
		"$HELPERS/lg_httpc" "$port" 120 /index.html >/dev/null || not_ok "client against COMMAND nginx"
		kill -INT "$lp"
		wait "$lp"
		check "COMMAND: exit 0 after Ctrl-C" test $? -eq 0
		check_count "COMMAND: the forked worker is traced" "$dir/cmd.json" "GET /index.html" 120
		check "COMMAND: cgroup removed" test ! -e "${cgdir:-/nonexistent}"
		# The cgroup could only go once empty; the worker that served is gone too.
		workers=$(python3 -c 'import json,sys
print(" ".join(sorted({str(json.loads(l)["tgid"]) for l in open(sys.argv[1])})))' "$dir/cmd.records")
		alive=
		for w in $workers; do [[ -e /proc/$w ]] && alive+=" $w"; done
		check "COMMAND: nginx stopped (worker $workers)" test -n "$workers" -a -z "$alive"
	else
		not_ok "COMMAND nginx listens" "$(cat "$dir/cmd.err")"
	fi
else
	skip "-- COMMAND" "nginx not installed"
fi

# --- -- COMMAND, Ctrl-C twice (a terminal's reaches the whole group, a wrapper passes it on) ---
"$LATGOV" trace -- sleep 300 >"$dir/dbl.out" 2>"$dir/dbl.err" &
lp=$!
on_exit "kill -9 $lp"
wait_line "$dir/dbl.err" '^latgov: tracing'
child=$(pgrep -P "$lp" -x sleep)
cgdirs=$(ls -d /sys/fs/cgroup/*/latgov-$lp /sys/fs/cgroup/latgov-$lp 2>/dev/null)
check "COMMAND twice: latgov made a cgroup and started the command" test -n "$cgdirs" -a -n "$child"
# If latgov fails to, the test removes them.
on_exit "kill -9 $child 2>/dev/null; sleep 0.2; rmdir $(echo $cgdirs) 2>/dev/null"
kill -INT "$lp"
# Apart, or the two arrive as one; within the end's 50 ms drain of records in flight.
sleep 0.02
kill -INT "$lp"
wait "$lp"
rc=$?
check "COMMAND twice: latgov ends by itself (status $rc)" test "$rc" -lt 128
left=
for d in $cgdirs; do [[ -e $d ]] && left+=" $d"; done
[[ -n $child && -e /proc/$child ]] && left+=" pid $child"
check "COMMAND twice: the command and the cgroups are gone${left:+ (left:$left)}" test -z "$left"
