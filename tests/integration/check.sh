#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# 'latgov check' on this machine: every required feature is ok as root, the
# programs it says trace loads are those a running trace holds, and an
# unprivileged user gets a non-zero exit with an error naming the fix.
source "$(dirname "$0")/lib.sh"
# vmtest: yes
need_root

out=$(mktemp)
json=$(mktemp)
on_exit "rm -f '$out' '$json'"

if "$LATGOV" check >"$out" 2>&1; then
	ok "check exits 0 as root"
else
	not_ok "check exits 0 as root" "$(cat "$out")"
fi
if grep -q '^result: latgov works here' "$out"; then
	ok "check says latgov works here"
else
	not_ok "check says latgov works here" "$(tail -3 "$out")"
fi

# Every required row must be ok, read from the JSON form.
if "$LATGOV" check --json >"$json" 2>&1 &&
	python3 - "$json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
bad = [f["name"] for f in report["features"] if f["required"] and f["status"] != "ok"]
if bad or not report["ok"] or not report["tracer_path"]:
    print("required features not ok:", bad)
    sys.exit(1)
PY
then
	ok "check --json: every required feature ok, a tracer path chosen"
else
	not_ok "check --json: every required feature ok" "$(cat "$json")"
fi

# One truth: the programs check says trace loads are the programs a running
# 'latgov trace' has attached (the kernel keeps 15 characters of a name;
# bpftool shows more where it finds them in BTF).
if ! command -v bpftool >/dev/null; then
	skip "check lists the programs trace attaches" "bpftool missing"
elif python3 -c 'import json, sys; json.load(open(sys.argv[1]))["modes"]' "$json" 2>/dev/null; then
	tdir=$(mktemp -d /tmp/latgov-test-check.XXXXXX)
	on_exit "rm -rf '$tdir'"
	sleep 30 &
	idle=$!
	on_exit "kill $idle"
	"$LATGOV" trace -p "$idle" -d 20 >"$tdir/out" 2>"$tdir/err" &
	tr=$!
	on_exit "kill -INT $tr 2>/dev/null; wait $tr"
	wait_line "$tdir/err" "^latgov: tracing" 10
	# Its programs: the prog_id of each BPF fd it holds (fdinfo), named by bpftool.
	attached=$(for id in $(grep -h '^prog_id:' /proc/"$tr"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -u); do
		bpftool -j prog show id "$id" 2>/dev/null
		echo
	done | python3 -c 'import json, sys
names = sorted(json.loads(l)["name"][:15] for l in sys.stdin if l.strip())
print(" ".join(n for n in names if n.startswith("lg_")))')
	kill -INT "$tr"
	wait "$tr"
	listed=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(sorted(n[:15] for n in d["modes"]["trace"]["programs"])))' "$json")
	if [[ -n $listed && $listed == "$attached" ]]; then
		ok "check lists exactly the programs trace attaches: $listed"
	else
		not_ok "check lists the programs trace attaches" "check: '$listed'; trace attached: '$attached'"
	fi
else
	not_ok "check --json for the program list" "$(cat "$json")"
fi

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
if ! as_nobody test -x "$LATGOV" 2>/dev/null; then
	skip "check as an unprivileged user" "uid 65534 cannot execute $LATGOV (a parent folder is private)"
else
	if as_nobody "$LATGOV" check >"$out" 2>&1; then
		not_ok "check exits non-zero when not root" "it exited 0"
	elif grep -q 'run as root: sudo latgov' "$out"; then
		ok "check as nobody exits non-zero and names the fix"
	else
		not_ok "check as nobody names the fix" "$(cat "$out")"
	fi
fi
