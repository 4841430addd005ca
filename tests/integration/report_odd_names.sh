#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# tools/report.py on a demo folder whose names are odd: a flame graph and a
# flame summary with bytes that are not UTF-8 (as latgov wrote them before it
# repaired names) and U+FFFD (as it writes them now), endpoint names with
# control characters. The report is written in any locale, as UTF-8, and the
# text summary demo.sh prints carries no escape sequence.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip_all "python3 needed to run tools/report.py"

tmp=$(mktemp -d)
on_exit "rm -rf '$tmp'"

python3 - "$tmp/demo" <<'PY'
import json, os, sys
d = sys.argv[1]
os.makedirs(os.path.join(d, "flame"))
with open(os.path.join(d, "loadgen-infer.jsonl"), "w") as f:
    for t in (1, 2):
        f.write(json.dumps({"t": t, "intended_rps": 10, "achieved_rps": 10, "completed": 10,
                            "latency_us": {"p50": 1000, "p99": 2000}}) + "\n")
# json.dumps escapes what is not ASCII: the file is what latgov's writer may hold.
with open(os.path.join(d, "latgov-summary.json"), "w") as f:
    json.dump({"endpoints": [{"name": "GET /\x1b[2J\x9b\ufffd", "requests": 5, "errors": 0,
                              "latency_us": {"p50": 900, "p99": 1900}}]}, f)
name = b"svc\xff\xfe\x1b[2J \xef\xbf\xbd"
with open(os.path.join(d, "flame", "flame.svg"), "wb") as f:
    f.write(b'<?xml version="1.0" standalone="no"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
            b'width="10" height="10"><g class="f"><title>' + name + b' (1 samples, 100.00%)</title>'
            b'</g></svg>\n')
with open(os.path.join(d, "flame", "summary.txt"), "wb") as f:
    f.write(b"latgov latency flame summary\ntargets: 1 (" + name + b")\n")
PY

# An ASCII locale (no UTF-8 mode), then the default one.
for env in "LC_ALL=C PYTHONUTF8=0" "PYTHONUTF8=1"; do
	rm -f "$tmp/demo/report.html" "$tmp/demo/report.txt"
	if env $env python3 "$LATGOV_ROOT/tools/report.py" "$tmp/demo" >"$tmp/out" 2>&1; then
		ok "report.py runs with $env"
	else
		not_ok "report.py runs with $env" "$(tail -3 "$tmp/out")"
		continue
	fi
	check "report.html is UTF-8 ($env)" python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' \
		"$tmp/demo/report.html"
	check "the flame graph's name reads with U+FFFD in the page ($env)" \
		grep -q "svc"$'\xef\xbf\xbd\xef\xbf\xbd' "$tmp/demo/report.html"
	check "report.txt is UTF-8 and free of control characters ($env)" python3 -c '
import re, sys
t = open(sys.argv[1], "rb").read().decode("utf-8")
sys.exit(1 if re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", t) or "GET /?[2J?\ufffd" not in t else 0)' \
		"$tmp/demo/report.txt"
done
