#!/usr/bin/env python3
"""Where a request's CPU goes, per thread, in a running `kiln dev` (issue 17).

    bench/diag/threadcpu.py PORT PATH [SECONDS] [WRK ARGS...]   (default: 5 s, -t1 -c1)

Runs wrk against http://127.0.0.1:PORT/PATH and prints requests/s and, for every thread of
the process serving that port that did work, its CPU time and context switches (voluntary +
involuntary) per request, from /proc/PID/task/*/{stat,status} read before and after. CPU time
varies less than throughput on a noisy machine, and it says which thread pays: `main` is the
HTTP server's (Qt) thread; the engine thread is the one with about one switch per request.
POSTs bench/diag/post_json.lua's document when PATH is /json.
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def snapshot(pid):
    threads = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                status = f.read()
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        switches = sum(int(re.search(rf"^{kind}_ctxt_switches:\s+(\d+)", status, re.M).group(1))
                       for kind in ("voluntary", "nonvoluntary"))
        threads[tid] = (int(fields[11]) + int(fields[12]), switches)  # utime + stime, in ticks
    return threads


def find_pid(port):
    found = subprocess.run(["pgrep", "-f", f"kiln.* dev .*--port {port}"], capture_output=True, text=True)
    if not found.stdout.split():
        sys.exit(f"no `kiln dev --port {port}` process found")
    return found.stdout.split()[0]


def measure(port, path, seconds="5", wrk_args=("-t1", "-c1")):
    """wrk against the kiln dev serving `port`: (requests/s, {thread: (us CPU, switches) per
    request}) for every thread that ran, the server's thread named "main"."""
    pid = find_pid(port)
    script = ["-s", os.path.join(HERE, "post_json.lua")] if path == "/json" else []
    tick = os.sysconf("SC_CLK_TCK")
    before = snapshot(pid)
    out = subprocess.run(["wrk", *wrk_args, f"-d{seconds}", *script, f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True, check=True).stdout
    after = snapshot(pid)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    threads = {}
    for tid, (cpu, switches) in after.items():
        if tid not in before:
            continue
        us = (cpu - before[tid][0]) / tick * 1e6 / max(requests, 1)
        per = (switches - before[tid][1]) / max(requests, 1)
        threads["main" if tid == pid else tid] = (us, per)
    return rate, threads


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    port, path = sys.argv[1], sys.argv[2]
    seconds = sys.argv[3] if len(sys.argv) > 3 else "5"
    rate, threads = measure(port, path, seconds, sys.argv[4:] or ["-t1", "-c1"])
    total, parts = 0.0, []
    for name, (us, per) in threads.items():
        total += us
        if us >= 1 or per >= 0.05:
            parts.append(f"{name}: {us:.0f} us, {per:.2f} switches")
    print(f"{path}  {rate:.0f} requests/s  {total:.0f} us CPU per request  |  " + "  ".join(parts))


if __name__ == "__main__":
    main()
