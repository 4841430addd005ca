#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Builds demo-out/report.html (and report.txt) from the raw files of a demo run.

    python3 tools/report.py DEMO-OUT-DIR

Reads, where present: meta.json, loadgen-{infer,generate}.jsonl and
-summary.json (client view), latgov.jsonl and latgov-summary.json (kernel
view), cgroup.jsonl (CPU usage, limit, throttling), governor.jsonl.
The page is self-contained: inline SVG, no script, nothing fetched, so it
opens offline. Python standard library only.

Names in these files (processes, symbols, endpoints) belong to whoever chose
them. latgov writes them as valid UTF-8, but files are read with bytes that
are not UTF-8 replaced by U+FFFD whatever the locale, and report.txt, which
demo.sh prints, shows control characters as '?', as latgov does.
"""
import html
import json
import os
import re
import sys

COLORS = {
    "client p50": "#1f77b4", "client p99": "#aec7e8",
    "kernel p50": "#d62728", "kernel p99": "#ff9896",
}


# What the files are read and written as, whatever the locale says.
TEXT = {"encoding": "utf-8", "errors": "replace"}
# C0, DEL and C1: a terminal would run them.
CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")


def printable(text):
    """text as a terminal may print it: control characters as '?'."""
    return CONTROLS.sub("?", text)


def read_text(path):
    with open(path, **TEXT) as f:
        return f.read()


def load_json(path):
    try:
        with open(path, **TEXT) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def load_jsonl(path):
    rows = []
    try:
        with open(path, **TEXT) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    pass  # a line cut short by a stopped writer
    except OSError:
        pass
    return rows


def q(d, *keys):
    """d[k1][k2]... or None."""
    for k in keys:
        if not isinstance(d, dict) or k not in d or d[k] is None:
            return None
        d = d[k]
    return d


def nice_ceil(v):
    """A round number >= v for the top of an axis."""
    if v <= 0:
        return 1.0
    mag = 10 ** len(str(int(v))) / 10 if v >= 1 else 1.0
    while mag > v:
        mag /= 10
    for m in (1, 2, 2.5, 5, 10):
        if m * mag >= v:
            return m * mag
    return 10 * mag


def fmt(v, digits=2):
    if v is None:
        return "–"
    if isinstance(v, int) or float(v).is_integer() and abs(v) >= 100:
        return "{:,}".format(int(v))
    return "{:,.{}f}".format(v, digits)


def line_chart(title, series, y_label, x_max, hlines=(), y_max=None, note=""):
    """series: [(name, color, [(x, y)], dashed)], drawn as one SVG."""
    w, h, left, right, top, bottom = 860, 280, 64, 170, 30, 36
    pw, ph = w - left - right, h - top - bottom
    ys = [y for _, _, pts, _ in series for _, y in pts if y is not None]
    ys += [y for y, _, _ in hlines]
    top_y = y_max if y_max is not None else nice_ceil(max(ys) * 1.05 if ys else 1)
    x_max = max(x_max, 1)

    def px(x):
        return left + pw * min(max(x, 0), x_max) / x_max

    def py(y):
        return top + ph * (1 - min(max(y, 0), top_y) / top_y)

    out = ['<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" '
           'width="%d" height="%d" role="img" aria-label="%s">' % (w, h, w, h, html.escape(title))]
    out.append('<rect width="%d" height="%d" fill="#fff"/>' % (w, h))
    out.append('<text x="%d" y="18" class="title">%s</text>' % (left, html.escape(title)))
    for i in range(6):
        y = top_y * i / 5
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#eee"/>' % (left, left + pw, py(y), py(y)))
        out.append('<text x="%d" y="%.1f" class="tick" text-anchor="end">%s</text>'
                   % (left - 6, py(y) + 4, fmt(y, 2 if top_y < 5 else 0)))
    for i in range(7):
        x = x_max * i / 6
        out.append('<text x="%.1f" y="%d" class="tick" text-anchor="middle">%ss</text>'
                   % (px(x), top + ph + 16, fmt(x, 0)))
    out.append('<text x="14" y="%d" class="tick" transform="rotate(-90 14 %d)" text-anchor="middle">%s</text>'
               % (top + ph // 2, top + ph // 2, html.escape(y_label)))
    out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>' % (left, top, pw, ph))
    legend = []
    for y, label, color in hlines:
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="1.5" '
                   'stroke-dasharray="6 4"/>' % (left, left + pw, py(y), py(y), color))
        legend.append((label, color, True))
    for name, color, pts, dashed in series:
        # Before the load started or after it ended (latgov's first windows, the last sample) is off the chart.
        pts = [(x, y) for x, y in pts if y is not None and -0.5 <= x <= x_max + 0.5]
        if not pts:
            continue
        d = " ".join("%.1f,%.1f" % (px(x), py(y)) for x, y in pts)
        out.append('<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>'
                   % (color, ' stroke-dasharray="3 3"' if dashed else "", d))
        for x, y in pts:
            out.append('<circle cx="%.1f" cy="%.1f" r="2" fill="%s"><title>%s: %s at %ss</title></circle>'
                       % (px(x), py(y), color, html.escape(name), fmt(y), fmt(x, 0)))
        legend.append((name, color, dashed))
    for i, (label, color, dashed) in enumerate(legend):
        y = top + 8 + 18 * i
        out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="3"%s/>'
                   % (left + pw + 12, left + pw + 32, y, y, color, ' stroke-dasharray="4 3"' if dashed else ""))
        out.append('<text x="%d" y="%d" class="legend">%s</text>' % (left + pw + 38, y + 4, html.escape(label)))
    if note:
        out.append('<text x="%d" y="%d" class="note">%s</text>' % (left + 8, top + 16, html.escape(note)))
    out.append("</svg>")
    return "\n".join(out)


def series_of(rows, path, scale=1.0, t_shift=0.0):
    pts = []
    for r in rows:
        v = q(r, *path)
        t = r.get("t")
        if t is None:
            continue
        pts.append((t - t_shift, v * scale if isinstance(v, (int, float)) else None))
    return pts


def latgov_endpoint_series(rows, name, key, pct, offset, window_from_t=True):
    """Per-window value of endpoint `name` from latgov JSONL; t is the window end, on the load's clock."""
    pts = []
    for r in rows:
        t = r.get("t")
        if t is None:
            continue
        t_end = t + (r.get("window_s") or 1.0) - offset
        for ep in r.get("endpoints", []):
            if ep.get("name") == name:
                v = q(ep, key, pct) if pct else ep.get(key)
                if isinstance(v, (int, float)):
                    pts.append((t_end, v / 1e3 if pct else v))
    return pts


def endpoint_rows(summary, source, seconds=None):
    """Table rows of a summary. With seconds, req/s is over the load's length:
    latgov's session also spans the moments before and after the load."""
    rows = []
    for ep in (summary or {}).get("endpoints", []):
        lat = ep.get("latency_us") or {}
        ttfb = ep.get("ttfb_us") or {}
        rows.append({
            "endpoint": str(ep.get("name") or "?"), "source": source,
            "requests": ep.get("requests"), "errors": ep.get("errors"),
            "rps": float(ep["requests"] / seconds if seconds and ep.get("requests") is not None
                         else ep.get("rps") or 0),
            "p50": ms(lat.get("p50")), "p90": ms(lat.get("p90")), "p99": ms(lat.get("p99")),
            "p999": ms(lat.get("p999")), "max": ms(lat.get("max")),
            "ttfb_p50": ms(ttfb.get("p50")) if ep.get("streamed") or "gap_us" in ep else None,
            "ttfb_p99": ms(ttfb.get("p99")) if ep.get("streamed") or "gap_us" in ep else None,
        })
    return rows


def ms(us):
    return us / 1e3 if isinstance(us, (int, float)) else None


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py DEMO-OUT-DIR")
    d = sys.argv[1]
    meta = load_json(os.path.join(d, "meta.json")) or {}
    infer = load_jsonl(os.path.join(d, "loadgen-infer.jsonl"))
    gen = load_jsonl(os.path.join(d, "loadgen-generate.jsonl"))
    infer_sum = load_json(os.path.join(d, "loadgen-infer-summary.json"))
    gen_sum = load_json(os.path.join(d, "loadgen-generate-summary.json"))
    kernel = load_jsonl(os.path.join(d, "latgov.jsonl"))
    kernel_sum = load_json(os.path.join(d, "latgov-summary.json"))
    cgroup = load_jsonl(os.path.join(d, "cgroup.jsonl"))
    governor = load_jsonl(os.path.join(d, "governor.jsonl"))
    if not infer:
        sys.exit("report.py: %s/loadgen-infer.jsonl is missing or empty: the load did not run" % d)

    slo = float(meta.get("slo_ms", 50))
    offset = float(meta.get("latgov_offset_s", 0))
    x_max = max([meta.get("seconds", 0)] + [r.get("t", 0) for r in infer])
    charts = []

    # 1. Throughput.
    rps = [("infer intended", "#999999", series_of(infer, ["intended_rps"]), True),
           ("infer achieved", "#1f77b4", series_of(infer, ["achieved_rps"]), False)]
    if gen:
        rps.append(("generate achieved", "#2ca02c", series_of(gen, ["achieved_rps"]), False))
    if kernel:
        totals = []
        for r in kernel:
            if r.get("t") is None:
                continue
            win = r.get("window_s") or 1.0
            n = sum(ep.get("requests", 0) for ep in r.get("endpoints", []) if ep.get("role") != "client")
            totals.append((r["t"] + win - offset, n / win))
        rps.append(("kernel (latgov), all", "#d62728", totals, True))
    charts.append(line_chart("Requests per second", rps, "requests/s", x_max))

    # 2. Latency of /v1/infer: client and kernel, with the SLO.
    lat = [("client p50", COLORS["client p50"], series_of(infer, ["latency_us", "p50"], 1e-3), False),
           ("client p99", COLORS["client p99"], series_of(infer, ["latency_us", "p99"], 1e-3), False)]
    k50 = latgov_endpoint_series(kernel, "POST /v1/infer", "latency_us", "p50", offset)
    k99 = latgov_endpoint_series(kernel, "POST /v1/infer", "latency_us", "p99", offset)
    if k50 or k99:
        lat += [("kernel p50", COLORS["kernel p50"], k50, True), ("kernel p99", COLORS["kernel p99"], k99, True)]
    note = "" if k50 or k99 else "kernel view: not available in this run (see below)"
    charts.append(line_chart("POST /v1/infer latency (client: from intended send time)", lat, "ms", x_max,
                             hlines=[(slo, "SLO p99 %g ms" % slo, "#ff7f0e")], note=note))

    # 3. Streaming: time to first token and whole stream.
    if gen:
        st = [("TTFT p50", "#2ca02c", series_of(gen, ["ttfb_us", "p50"], 1e-3), False),
              ("TTFT p99", "#98df8a", series_of(gen, ["ttfb_us", "p99"], 1e-3), False),
              ("stream p99", "#9467bd", series_of(gen, ["latency_us", "p99"], 1e-3), True)]
        kt = latgov_endpoint_series(kernel, "POST /v1/generate", "ttfb_us", "p99", offset)
        if kt:
            st.append(("kernel TTFT p99", COLORS["kernel p50"], kt, True))
        charts.append(line_chart("POST /v1/generate (%s tokens, SSE): time to first token and stream"
                                 % meta.get("generate_tokens", "?"), st, "ms", x_max))

    # 4. CPU: usage against the limit, and throttling.
    usage, limit, throttle = [], [], []
    for a, b in zip(cgroup, cgroup[1:]):
        dt = b["t"] - a["t"]
        if dt <= 0:
            continue
        usage.append((b["t"], (b["usage_ns"] - a["usage_ns"]) / 1e9 / dt))
        limit.append((b["t"], b["limit_cores"] or None))
        dp = b["nr_periods"] - a["nr_periods"]
        throttle.append((b["t"], (b["nr_throttled"] - a["nr_throttled"]) / dp if dp > 0 else 0.0))
    if usage:
        charts.append(line_chart("CPU of the service's cgroup", [
            ("usage (cores)", "#1f77b4", usage, False),
            ("limit (cores)", "#d62728", limit, True)], "cores", x_max))
        charts.append(line_chart("CFS throttling: throttled periods / periods", [
            ("throttle ratio", "#8c564b", throttle, False)], "ratio", x_max, y_max=1.0))

    # Tables.
    rows = endpoint_rows(infer_sum, "client") + endpoint_rows(gen_sum, "client") + \
        endpoint_rows(kernel_sum, "kernel", meta.get("seconds"))
    rows.sort(key=lambda r: (r["endpoint"], r["source"]))
    cols = [("endpoint", "endpoint"), ("source", "source"), ("requests", "requests"), ("rps", "req/s"),
            ("errors", "errors"), ("p50", "p50 ms"), ("p90", "p90 ms"), ("p99", "p99 ms"),
            ("p999", "p99.9 ms"), ("max", "max ms"), ("ttfb_p50", "TTFB p50 ms"), ("ttfb_p99", "TTFB p99 ms")]
    table = ['<table class="endpoints"><thead><tr>%s</tr></thead><tbody>'
             % "".join("<th>%s</th>" % html.escape(label) for _, label in cols)]
    for r in rows:
        cells = []
        for key, _ in cols:
            v = r[key]
            cls = ' class="over"' if key == "p99" and isinstance(v, float) and v > slo else ""
            cells.append("<td%s>%s</td>" % (cls, html.escape(v if isinstance(v, str) else fmt(v))))
        table.append("<tr>%s</tr>" % "".join(cells))
    table.append("</tbody></table>")

    windows = [r for r in infer if q(r, "latency_us", "p99") is not None and r.get("completed")]
    over = [r for r in windows if r["latency_us"]["p99"] / 1e3 > slo]
    worst = max(windows, key=lambda r: r["latency_us"]["p99"]) if windows else None
    mean_usage = sum(u for _, u in usage) / len(usage) if usage else None
    peak_usage = max((u for _, u in usage), default=None)
    infer_lg = (infer_sum or {}).get("loadgen", {})
    facts = [
        ("service", meta.get("service", "").replace("demo-infer: ", "")),
        ("load", "POST /v1/infer at %s; POST /v1/generate at %s streams/s"
         % (meta.get("schedule", "?"), meta.get("generate_rate", "?"))),
        ("cgroup", "%s (v%s), CPU limit %s cores, memory %s"
         % (meta.get("cgroup", "?"), meta.get("cgroup_version", "?"), meta.get("cpu_limit", "?"),
            meta.get("memory_limit", "?"))),
        ("SLO", "p99 ≤ %g ms (from %s)" % (slo, meta.get("policy", "default"))),
        ("seconds over SLO", "%d of %d (client p99 per second)" % (len(over), len(windows))),
        ("worst second", "t=%ss: p99 %s ms at %s req/s" % (worst["t"], fmt(worst["latency_us"]["p99"] / 1e3),
                                                          fmt(worst["achieved_rps"], 0)) if worst else "–"),
        ("CPU used", "mean %s cores, peak %s cores" % (fmt(mean_usage), fmt(peak_usage))),
        ("client totals", "%s sent, %s completed, %s timeouts, %s dropped, %s transport errors"
         % tuple(fmt(infer_lg.get(k, infer_sum.get(k))) for k in ("sent", "completed", "timeouts", "dropped",
                                                                  "transport_errors"))
         if infer_lg else "–"),
        ("latgov", "%s%s" % (meta.get("latgov_mode", "none"),
                             (": " + meta["latgov_note"]) if meta.get("latgov_note") else "")),
    ]
    if governor:
        facts.append(("governor decisions", "%d logged in governor.jsonl" % len(governor)))
    fact_html = "".join("<tr><th>%s</th><td>%s</td></tr>" % (html.escape(k), html.escape(str(v)))
                        for k, v in facts)
    # Flame graph and governor, from latgov's session when it wrote them.
    extra = []
    # The latency flame (requests in flight only) where there is one, else the whole profile.
    for name, title, what in (("latency.svg", "Latency flame graph",
                               "Request wall time by endpoint, state and stack"),
                              ("flame.svg", "Flame graph", "The service's threads, all of their time")):
        flame_svg = os.path.join(d, "flame", name)
        if not os.path.isfile(flame_svg):
            continue
        svg = read_text(flame_svg)
        # Inline, so the page stays one file; the XML prolog is not allowed inside HTML.
        svg = re.sub(r"^\s*<\?xml[^>]*\?>\s*(<!DOCTYPE[^>]*>\s*)?", "", svg)
        extra.append("<h2>%s</h2><p>%s (flame/%s; click to zoom, Search to find a frame).</p>"
                     % (title, what, name) + svg)
        break
    flame_txt = os.path.join(d, "flame", "summary.txt")
    if os.path.isfile(flame_txt):
        extra.append("<h3>Where request time goes</h3><pre>%s</pre>"
                     % html.escape(read_text(flame_txt)[:20000]))
    if governor:
        keys = []
        for r in governor:
            for k in r:
                if k not in keys and not isinstance(r[k], (dict, list)):
                    keys.append(k)
        keys = keys[:10]
        shown = governor[-30:]
        extra.append("<h2>Governor decisions</h2><p>%d decisions in governor.jsonl%s.</p>"
                     % (len(governor), ", the last 30 shown" if len(governor) > 30 else ""))
        extra.append('<table class="endpoints"><thead><tr>%s</tr></thead><tbody>%s</tbody></table>' % (
            "".join("<th>%s</th>" % html.escape(k) for k in keys),
            "".join("<tr>%s</tr>" % "".join('<td style="text-align:left">%s</td>' % html.escape(
                fmt(r.get(k)) if isinstance(r.get(k), (int, float)) and not isinstance(r.get(k), bool)
                else str(r.get(k, ""))) for k in keys) for r in shown)))

    files = sorted(f for f in os.listdir(d) if f not in ("report.html",))
    file_html = "".join('<li><a href="%s">%s</a></li>' % (html.escape(f), html.escape(f)) for f in files)

    page = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>latgov demo report</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1100px; }}
h1 {{ font-size: 22px; }} h2 {{ font-size: 17px; margin-top: 28px; }}
table {{ border-collapse: collapse; margin: 8px 0; }}
th, td {{ padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: left; }}
table.endpoints td {{ text-align: right; font-variant-numeric: tabular-nums; }}
table.endpoints td:nth-child(-n+2) {{ text-align: left; }}
td.over {{ color: #b00; font-weight: bold; }}
svg.chart {{ display: block; margin: 12px 0; max-width: 100%; height: auto; }}
svg .title {{ font-weight: bold; font-size: 14px; }} svg .tick {{ font-size: 11px; fill: #555; }}
svg .legend {{ font-size: 12px; }} svg .note {{ font-size: 12px; fill: #b00; }}
</style></head><body>
<h1>latgov demo: an inference service under a stepped load</h1>
<table class="facts">{facts}</table>
<h2>Over time</h2>
<p>Client figures come from loadgen (open loop; latency counts from each request's intended send time,
so queueing is not hidden). Kernel figures come from latgov, which measures the same requests from
socket tracepoints without touching the service. Times are seconds since the load started.</p>
{charts}
<h2>Per endpoint</h2>
{table}
{extra}
<h2>Raw files</h2><ul>{files}</ul>
</body></html>
""".format(facts=fact_html, charts="\n".join(charts), table="\n".join(table), extra="\n".join(extra),
           files=file_html)
    with open(os.path.join(d, "report.html"), "w", **TEXT) as f:
        f.write(page)

    # The terminal summary.
    lines = ["summary:"]
    for k, v in facts:
        lines.append("  %-17s %s" % (k, v))
    lines.append("  %-24s %-7s %9s %8s %7s %9s %9s %9s" % ("endpoint", "source", "requests", "req/s",
                                                            "errors", "p50 ms", "p99 ms", "max ms"))
    for r in rows:
        lines.append("  %-24s %-7s %9s %8s %7s %9s %9s %9s" % (
            r["endpoint"][:24], r["source"], fmt(r["requests"]), fmt(r["rps"], 1), fmt(r["errors"]),
            fmt(r["p50"]), fmt(r["p99"]), fmt(r["max"])))
    with open(os.path.join(d, "report.txt"), "w", **TEXT) as f:
        f.write("\n".join(printable(line) for line in lines) + "\n")


if __name__ == "__main__":
    main()
