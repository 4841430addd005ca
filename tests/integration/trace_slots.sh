#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The two homes of a connection's state (bpf/requests.bpf.c): the slot table
# and, for a socket whose slot is taken, the hash. With the default table
# nearly every connection has a slot; with one slot (LATGOV_SLOT_BITS=0),
# held by a connection opened first, every other one goes to the hash. Both
# ways: exact counts over new and keep-alive connections, and the idle scan
# delivers the answered request of a connection that stays open (it reads
# slots in place, the hash by syscalls).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_trace.sh"
source "$(dirname "$0")/lib_nginx.sh"
nginx_fixture slots
printf 'n\n' >"$dir/www/n.txt"
printf 'k\n' >"$dir/www/k.txt"
printf 'h\n' >"$dir/www/h.txt"

# served ENDPOINT: latgov_requests_total of it on /metrics so far (0 if none yet).
served() {
	python3 -c 'import re, sys, urllib.request
t = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=2).read().decode()
m = re.search(r"^latgov_requests_total\{endpoint=\"%s\"[^}]*\} (\d+)" % re.escape(sys.argv[2]), t, re.M)
print(m.group(1) if m else 0)' "$mport" "$1" 2>/dev/null || echo 0
}

for bits in default 0; do
	what="slots $bits"
	mport=$(free_port)
	if [[ $bits == default ]]; then
		trace_start "$dir" --port "$port" -i 1 --summary "$dir/summary.json" --metrics "127.0.0.1:$mport"
	else
		LATGOV_SLOT_BITS=$bits trace_start "$dir" --port "$port" --summary "$dir/summary.json" \
			-i 1 --metrics "127.0.0.1:$mport"
	fi || { not_ok "$what: latgov trace starts"; exit 1; }
	# The first connection takes the one slot of LATGOV_SLOT_BITS=0 and keeps it.
	"$HELPERS/lg_httpc" "$port" 1 /h.txt --linger 20000 >/dev/null &
	holder=$!
	for ((i = 0; i < 40; i++)); do
		ss -Htn state established "( sport = :$port )" | grep -q . && break
		sleep 0.05
	done
	sleep 0.2
	"$HELPERS/lg_httpc" "$port" 300 /n.txt --new >"$dir/c_new.json" || not_ok "$what: new-connection client"
	# 200 requests on one connection, then 5 s open and idle; /metrics shows closed 1 s windows.
	"$HELPERS/lg_httpc" "$port" 200 /k.txt --linger 5000 >"$dir/c_keep.json" &
	cli=$!
	for ((i = 0; i < 80; i++)); do
		(($(served "GET /k.txt") >= 200)) && break
		sleep 0.05
	done
	got=$(served "GET /k.txt")
	if ! kill -0 "$cli" 2>/dev/null; then
		not_ok "$what: idle scan" "the connection closed (5 s) before latgov served its 200 requests ($got)"
	elif ((got == 200)); then
		ok "$what: the idle scan delivers an open connection's last answer (200 of 200)"
	else
		not_ok "$what: idle scan" "latgov served $got of 200 on /metrics while the connection was open"
	fi
	wait "$cli" || not_ok "$what: keep-alive client"
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	trace_stop
	check "$what: latgov exits 0" test "$TRACE_RC" -eq 0
	check_count "$what: new connections" "$dir/summary.json" "GET /n.txt" 300
	check_count "$what: keep-alive" "$dir/summary.json" "GET /k.txt" 200
	check_count "$what: the held connection" "$dir/summary.json" "GET /h.txt" 1
	full=$(jq_py "$dir/summary.json" 'd["counters"]["conn_map_full"]')
	check "$what: no connection state lost (conn_map_full $full)" test "$full" -eq 0
	rm -f "$dir/records.jsonl" "$dir/summary.json"
done
