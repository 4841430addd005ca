#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Uses about SHARE of one CPU (busy SHARE of each 10 ms, asleep the rest),
so a governed group's limit is in use yet leaves room to cut.

    burn.py SHARE      e.g. burn.py 0.6

Prints "ready" once it is past its start-up (which under the vmtest's
emulator costs close to a whole core for a second): a governor started
before then sees that burst as the group's usage peak.
"""
import sys
import time

share = float(sys.argv[1])
cycles = 0
while True:
    cycles += 1
    if cycles == 10:
        print("ready", flush=True)
    t = time.monotonic() + 0.010 * share
    while time.monotonic() < t:
        pass
    time.sleep(0.010 * (1 - share))
