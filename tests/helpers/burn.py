#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Uses about SHARE of one CPU (busy SHARE of each 10 ms, asleep the rest),
so a governed group's limit is in use yet leaves room to cut.

    burn.py SHARE      e.g. burn.py 0.6
"""
import sys
import time

share = float(sys.argv[1])
while True:
    t = time.monotonic() + 0.010 * share
    while time.monotonic() < t:
        pass
    time.sleep(0.010 * (1 - share))
