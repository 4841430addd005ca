#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# A tiny HPA-like CPU controller for the governor benchmark (tools/bench/governor.sh):
# the Kubernetes Horizontal Pod Autoscaler's rule applied to one cgroup's CFS
# quota instead of a replica count, so the governor has a well-known baseline.
#
#   desired = current × usage / (target × current)   (= usage / target)
#   within ±tolerance of 1: keep current; scale-up at once; scale-down only to the
#   highest recommendation of the last `window` seconds (stabilization).
#
# It syncs every --interval (1 s here; Kubernetes' default is 15 s, which would
# leave a 30 s step almost unanswered) and reads usage from cpuacct.usage deltas.
# It writes cpu.cfs_quota_us only when the value changes (every write
# un-throttles the group). It never restores: the benchmark owns the cgroup.
import argparse
import signal
import sys
import time


def read_int(path):
    with open(path) as f:
        return int(f.read().split()[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cpu-cgroup", required=True, help="v1 cpu cgroup directory")
    ap.add_argument("--acct-cgroup", required=True, help="v1 cpuacct cgroup directory")
    ap.add_argument("--min", type=float, required=True, help="lowest limit, cores")
    ap.add_argument("--max", type=float, required=True, help="highest limit, cores")
    ap.add_argument("--target", type=float, default=0.7, help="utilisation target")
    ap.add_argument("--tolerance", type=float, default=0.1, help="no action within this")
    ap.add_argument("--window", type=float, default=30.0, help="scale-down stabilization, s")
    ap.add_argument("--interval", type=float, default=1.0, help="sync period, s")
    ap.add_argument("--log", help="one JSON line per decision")
    a = ap.parse_args()
    if not 0 < a.min <= a.max:
        sys.exit("hpa: --min must be > 0 and <= --max")

    stop = []
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, lambda *_: stop.append(1))
    log = open(a.log, "w") if a.log else None
    quota_f = a.cpu_cgroup + "/cpu.cfs_quota_us"
    period = read_int(a.cpu_cgroup + "/cpu.cfs_period_us")
    usage_f = a.acct_cgroup + "/cpuacct.usage"

    history = []  # (time, recommended cores)
    t_prev, u_prev = time.monotonic(), read_int(usage_f)
    next_tick = t_prev + a.interval
    while not stop:
        time.sleep(max(0.0, next_tick - time.monotonic()))
        next_tick += a.interval
        if stop:
            break
        now, used = time.monotonic(), read_int(usage_f)
        usage = (used - u_prev) / 1e9 / (now - t_prev)
        t_prev, u_prev = now, used
        quota = read_int(quota_f)
        current = a.max if quota < 0 else quota / period
        ratio = usage / (a.target * current)
        if abs(ratio - 1) <= a.tolerance:
            rec = current
        else:
            rec = min(a.max, max(a.min, current * ratio))
        history.append((now, rec))
        history = [(t, r) for t, r in history if now - t <= a.window]
        if rec > current:
            new, why = rec, "scale-up"
        else:
            new, why = max(r for _, r in history), "stabilized"
            if new >= current:
                new, why = current, "hold"
        new_quota = max(1000, int(round(new * period)))
        if new_quota != quota:
            with open(quota_f, "w") as f:
                f.write(str(new_quota))
        if log:
            log.write('{"t":%.3f,"usage":%.4f,"current":%.4f,"recommended":%.4f,"limit":%.4f,"why":"%s"}\n'
                      % (now, usage, current, rec, new_quota / period, why))
            log.flush()


if __name__ == "__main__":
    main()
