# SPDX-License-Identifier: GPL-2.0-only
# A private nginx for tests and benchmarks: Debian's nginx-light binary with a
# config of our own in a temp folder, on a loopback port, never the system's
# service. Source it; do not run it.
#
#   nginx_start DIR PORT [WORKERS]   sets NGINX_PID; serves DIR/www:
#                                    /index.html (tiny), /big.bin (1 MiB, sendfile),
#                                    /slow -> nothing (404s are cheap errors)
#   nginx_stop                       stops it and waits for it to go

NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
NGINX_PID=

nginx_start() {
	local dir=$1 port=$2 workers=${3:-1} i
	mkdir -p "$dir/www" "$dir/tmp" "$dir/logs"
	# Workers drop to www-data: they must be able to read the folder.
	chmod 755 "$dir" "$dir/www"
	printf 'hello from latgov tests\n' >"$dir/www/index.html"
	head -c 1048576 /dev/zero | tr '\0' 'x' >"$dir/www/big.bin"
	cat >"$dir/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes $workers;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 1024; }
http {
	# Which worker served each request (its pid first): a test traces one worker alone.
	log_format lg '\$pid \$remote_addr "\$request" \$status';
	access_log $dir/logs/access.log lg;
	client_body_temp_path $dir/tmp/body;
	proxy_temp_path $dir/tmp/proxy;
	fastcgi_temp_path $dir/tmp/fastcgi;
	uwsgi_temp_path $dir/tmp/uwsgi;
	scgi_temp_path $dir/tmp/scgi;
	sendfile on;
	keepalive_requests 1000000;
	keepalive_timeout 60s;
	server {
		listen 127.0.0.1:$port ${NGINX_LISTEN_OPTS:-reuseport};
		root $dir/www;
	}
}
CONF
	"$NGINX_BIN" -p "$dir" -c "$dir/nginx.conf" >"$dir/logs/stdout.log" 2>&1 &
	NGINX_PID=$!
	for ((i = 0; i < 200; i++)); do
		if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then
			# The master accepts before its workers exist: callers look the workers up.
			for ((i = 0; i < 200; i++)); do
				(($(pgrep -c -P "$NGINX_PID") >= workers)) && break
				sleep 0.05
			done
			if ((i == 200)); then
				echo "nginx on 127.0.0.1:$port did not start its $workers workers" >&2
				return 1
			fi
			nginx_serves "$port" && return 0
			echo "nginx on 127.0.0.1:$port does not serve /index.html (status '$NGINX_STATUS'):" \
				"its workers run as www-data, and every folder above $dir must let them through (chmod o+x)" >&2
			return 1
		fi
		kill -0 "$NGINX_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "nginx did not start on 127.0.0.1:$port:" >&2
	cat "$dir/logs/stdout.log" "$dir/logs/error.log" >&2 2>/dev/null
	return 1
}

# nginx_serves PORT: 0 if GET /index.html answers 200 (NGINX_STATUS: the status line).
# A folder the workers cannot enter gives 403 for every file, which would
# measure nginx's error page instead of the file.
nginx_serves() {
	# In a subshell: the caller's file descriptors stay as they are.
	NGINX_STATUS=$(
		exec 3<>/dev/tcp/127.0.0.1/"$1" || exit 1
		printf 'GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
		IFS= read -r -t 5 line <&3
		printf '%s' "${line%$'\r'}"
	)
	[[ $NGINX_STATUS == "HTTP/1.1 200 "* ]]
}

# The worker processes of the running nginx (children of the master).
nginx_workers() { pgrep -P "$NGINX_PID" | tr '\n' ',' | sed 's/,$//'; }

nginx_stop() {
	[[ -n $NGINX_PID ]] || return 0
	kill -QUIT "$NGINX_PID" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$NGINX_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$NGINX_PID" 2>/dev/null
	wait "$NGINX_PID" 2>/dev/null
	NGINX_PID=
}
