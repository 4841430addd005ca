# SPDX-License-Identifier: GPL-2.0-only
# Shared by the tracer's integration tests (trace_*.sh): start and stop latgov
# trace in the background, read its JSON, compare figures. Source it after
# lib.sh; do not run it.
#
#   trace_start DIR ARGS...   runs "latgov trace ARGS" with output in DIR/latgov.{out,err}
#                             and every record in DIR/records.jsonl; waits until it traces
#   trace_stop                Ctrl-C (SIGINT) and wait; sets TRACE_RC
#   trace_wait                wait for it to end by itself (-d); sets TRACE_RC
#   jq_py FILE EXPR           prints EXPR evaluated in python with d = the JSON in FILE
#   endpoint_field FILE NAME FIELD   a summary endpoint's field ("requests", "latency_us.p50")
#   near A B                  true if A is within 5% + 100 us of B (values in us)
#   nginx_fixture NAME        (with lib_nginx.sh) skips unless root with nginx and the
#                             helpers, makes $dir, starts nginx with one worker on $port

TRACE_PID=
TRACE_RC=
HELPERS=$BUILD/tests/helpers

nginx_fixture() {
	need_root
	[[ -x $NGINX_BIN ]] || skip_all "nginx not installed ($NGINX_BIN; apt-get install nginx-light)"
	[[ -x $HELPERS/lg_httpc ]] || skip_all "test helpers not built (make unit-tests)"
	dir=$(mktemp -d "/tmp/latgov-test-$1.XXXXXX")
	on_exit "rm -rf $dir"
	port=$(free_port)
	on_exit nginx_stop
	nginx_start "$dir" "$port" 1 || { not_ok "nginx starts"; exit 1; }
}

trace_start() {
	local dir=$1 i
	shift
	LATGOV_RECORDS=$dir/records.jsonl "$LATGOV" trace "$@" >"$dir/latgov.out" 2>"$dir/latgov.err" &
	TRACE_PID=$!
	on_exit "kill -INT $TRACE_PID 2>/dev/null; wait $TRACE_PID 2>/dev/null"
	for ((i = 0; i < 200; i++)); do
		grep -q '^latgov: tracing' "$dir/latgov.err" 2>/dev/null && return 0
		kill -0 "$TRACE_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "# latgov did not start tracing:" >&2
	sed 's/^/#   /' "$dir/latgov.err" >&2
	return 1
}

trace_stop() {
	kill -INT "$TRACE_PID" 2>/dev/null
	wait "$TRACE_PID"
	TRACE_RC=$?
}

trace_wait() {
	wait "$TRACE_PID"
	TRACE_RC=$?
}

jq_py() {
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2"
}

endpoint_field() {
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
e = [e for e in d["endpoints"] if e["name"] == sys.argv[2]]
v = e[0] if e else {}
for k in sys.argv[3].split("."):
    v = v.get(k, {}) if isinstance(v, dict) else {}
print(v if v != {} else "none")' "$1" "$2" "$3"
}

near() {
	python3 -c 'import sys
a, b = float(sys.argv[1]), float(sys.argv[2])
sys.exit(0 if abs(a - b) <= 0.05 * b + 100 else 1)' "$1" "$2" 2>/dev/null
}

# check_count WHAT SUMMARY ENDPOINT EXPECTED
check_count() {
	local got
	got=$(endpoint_field "$2" "$3" requests)
	if [[ $got == "$4" ]]; then ok "$1: $got requests"; else not_ok "$1" "latgov counted $got, the client sent $4"; fi
}

# check_near WHAT SUMMARY ENDPOINT FIELD CLIENT_JSON CLIENT_FIELD
check_near() {
	local got want
	got=$(endpoint_field "$2" "$3" "$4")
	want=$(jq_py "$5" "d$(printf '["%s"]' ${6//./ })")
	if near "$got" "$want"; then ok "$1: latgov $got us, client $want us"
	else not_ok "$1" "latgov $got us, client $want us: more than 5% + 100us apart"; fi
}
