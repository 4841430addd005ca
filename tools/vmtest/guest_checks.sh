#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs inside the vmtest guest after the integration tests: what only this
# kernel can show. 6.1 has no sock_*_length tracepoints, so 'latgov check'
# must choose the syscall fallback, and the cgroup tree must be pure v2.
source "$(dirname "$0")/../../tests/integration/lib.sh"
TEST_NAME=guest
need_root

out=$(mktemp)
on_exit "rm -f '$out'"
"$LATGOV" check --json >"$out" 2>&1
python3 - "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
feat = {f["name"]: f for f in r["features"]}
def tap(ok, what, why=""):
    print(("ok" if ok else "not ok") + " - guest: " + what + ("" if ok else f" ({why})"))
tap(r["cgroup_mode"] == "v2", "check reports pure cgroup v2", r["cgroup_mode"])
tap(r["tracer_path"] == "syscall tracepoints (fallback)", "check chooses the syscall fallback path", r["tracer_path"])
sock = feat.get("socket tracepoints", {})
tap(sock.get("status") == "degraded", "the missing socket tracepoints are reported (degraded) on 6.1", sock)
sys_row = feat.get("syscall tracepoints", {})
tap(sys_row.get("status") == "ok" and sys_row.get("required"), "the fallback's tracepoints attach, and plain trace needs them", sys_row)
tap("sock:sock_recv_length" not in feat, "no row for a hook no mode uses here", sorted(feat))
tap(feat["PSI"]["status"] == "ok", "per-cgroup PSI is available on v2", feat["PSI"]["detail"])
tap(r["ok"], "every required feature ok", [f["name"] for f in r["features"] if f["required"] and f["status"] != "ok"])
PY
