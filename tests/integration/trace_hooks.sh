#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Which hooks carry the request side (README, "Which hooks carry the events"):
# arrival mode counts requests that came with the handshake's last segment
# (nginx "listen ... deferred": TCP_DEFER_ACCEPT, unseen by tcp_probe) at
# their answer; a worker traced alone shares its master's listening socket,
# so reads are traced instead, and its count is still exact.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_trace.sh"
source "$(dirname "$0")/lib_nginx.sh"
need_root
[[ -x $NGINX_BIN ]] || skip_all "nginx not installed ($NGINX_BIN; apt-get install nginx-light)"
[[ -x $HELPERS/lg_httpc ]] || skip_all "test helpers not built (make unit-tests)"

dir=$(mktemp -d /tmp/latgov-test-trace.XXXXXX)
on_exit "rm -rf $dir"
on_exit nginx_stop

# --- deferred accept, one request per connection --------------------------------
port=$(free_port)
NGINX_LISTEN_OPTS=deferred nginx_start "$dir" "$port" 1 || { not_ok "nginx starts (deferred)"; exit 1; }
trace_start "$dir" --port "$port" --summary "$dir/deferred.json" || { not_ok "latgov starts"; exit 1; }
check "plain tracing uses arrival mode" grep -q 'hooks: arrivals' "$dir/latgov.err"
"$HELPERS/lg_httpc" "$port" 100 /index.html --new >"$dir/c_def.json" || not_ok "deferred-accept client"
"$HELPERS/lg_httpc" "$port" 200 /index.html >"$dir/c_def_keep.json" || not_ok "keep-alive client"
trace_stop
s=$dir/deferred.json
# Each connection's first request is unseen by tcp_probe (no prefix: tcp:PORT); the
# keep-alive connection's later ones are seen, with their route.
total=$(jq_py "$s" 'd["requests"]')
check "deferred accept: every request counted ($total of 300)" test "$total" -eq 300
check "... the keep-alive connection's later requests by route" \
	test "$(endpoint_field "$s" "GET /index.html" requests)" -eq 199
check "... and none counted unanswered or reset" \
	test "$(jq_py "$s" 'sum(e["errors"] for e in d["endpoints"])')" -eq 0
nginx_stop

# --- a worker traced alone: its master holds the same listening socket ----------
port=$(free_port)
nginx_start "$dir" "$port" 2 || { not_ok "nginx starts (2 workers)"; exit 1; }
worker=$(nginx_workers | cut -d, -f1)
trace_start "$dir" -p "$worker" --summary "$dir/worker.json" || { not_ok "latgov -p worker starts"; exit 1; }
check "a shared listening socket: reads are traced" grep -q 'hooks: sock_length' "$dir/latgov.err"
# The log's lines so far (nginx_start's own check request among them) are not the client's.
logged=$(wc -l <"$dir/logs/access.log")
"$HELPERS/lg_httpc" "$port" 400 /index.html --new >"$dir/c_w.json" || not_ok "client"
trace_stop
# What that worker served, from nginx's access log (the worker's pid first on each line).
tail -n +$((logged + 1)) "$dir/logs/access.log" >"$dir/client.log"
served=$(awk -v w="$worker" '$1 == w' "$dir/client.log" | wc -l)
got=$(endpoint_field "$dir/worker.json" "GET /index.html" requests)
if [[ $got == "$served" ]] && ((served > 0)); then ok "a worker traced alone: its $served requests of 400, exactly"
else
	not_ok "a worker traced alone" "latgov counted $got, nginx's log says the worker served $served of 400"
	# Where the others went, for whoever reads the log of a failed run.
	python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))
print("#   dropped:", s.get("dropped"), "losses:", s.get("losses", s.get("counters")))
for e in s.get("endpoints", []): print("#   endpoint %r: %s requests, %s errors" % (e.get("name"), e.get("requests"), e.get("errors")))' "$dir/worker.json"
	awk -v w="$worker" '$1 == w {print $NF}' "$dir/client.log" | sort | uniq -c | sed 's/^/#   nginx status: /'
fi
