# SPDX-License-Identifier: GPL-2.0-only
# Shared by the integration tests: TAP output, root checks, and cleanup that
# runs on success, failure and signals. Source it; do not run it.
#
#   ok "what"            a passing check
#   not_ok "what" [why]  a failing check (the script goes on; exit status follows)
#   check "what" CMD...  ok if CMD succeeds, not_ok otherwise
#   skip_all "reason"    one skip line, then exit 0
#   need_root            skip_all unless root
#   on_exit "CMD"        run CMD at exit, last registered first

set -uo pipefail
LATGOV_ROOT=${LATGOV_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$LATGOV_ROOT/$BUILD
LATGOV=${LATGOV:-$LATGOV_ROOT/latgov}
TEST_NAME=$(basename "$0" .sh)

_tap_n=0
_tap_failed=0
_exit_cmds=()

ok() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $TEST_NAME: $1"; }
not_ok() {
	_tap_n=$((_tap_n + 1)); _tap_failed=1
	echo "not ok $_tap_n - $TEST_NAME: $1${2:+ ($2)}"
}
check() {
	local what=$1; shift
	if "$@"; then ok "$what"; else not_ok "$what" "command failed: $*"; fi
}
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $TEST_NAME: $1 # SKIP $2"; }
skip_all() { skip "all" "$1"; exit 0; }
need_root() { ((EUID == 0)) || skip_all "needs root (run make test as root)"; }

on_exit() { _exit_cmds=("$1" "${_exit_cmds[@]}"); }
_run_exit() {
	local rc=$?
	for c in "${_exit_cmds[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
	((rc == 0 && _tap_failed)) && rc=1
	exit $rc
}
trap _run_exit EXIT
trap 'exit 130' INT TERM

# Waits up to $2 seconds (default 10) for a TCP listener on 127.0.0.1:$1.
wait_port() {
	local port=$1 limit=${2:-10} i
	for ((i = 0; i < limit * 20; i++)); do
		(exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# Waits up to $3 seconds (default 10) for a line matching the regex $2 in the
# file $1 (a "ready" or "tracing" line a background process writes).
wait_line() {
	local file=$1 re=$2 limit=${3:-10} i
	for ((i = 0; i < limit * 20; i++)); do
		grep -q -- "$re" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# A free TCP port on loopback.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
