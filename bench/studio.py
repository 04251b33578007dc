#!/usr/bin/env python3
"""Studio start, warm caches: spawn -> the window first painted, and spawn -> the example's
first response shown in the composer (GET / of examples/hello), beside the peer measured in
the same run: `kiln dev` alone, spawn -> first HTTP 200 on GET / (what the studio adds is the
difference).

    bench/studio.py [--runs N] [--build DIR]

Runs one Xvfb for all runs (its own start is not counted). Python 3 standard library only.
Targets (issue 11): window under 0.5 s, first response under 1.5 s on the 2-core reference
machine.
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def studio_run(build, env):
    start = time.monotonic()
    proc = subprocess.Popen([os.path.join(build, "bin", "kiln-studio"), os.path.join(ROOT, "examples", "hello")],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env, text=True)
    painted = answered = None
    for line in proc.stderr:
        now = (time.monotonic() - start) * 1000
        if "window painted" in line and painted is None:
            painted = now
        if "first response 200" in line:
            answered = now
            break
    proc.wait(timeout=30)
    return painted, answered


def kiln_dev_run(build):
    port = free_port()
    start = time.monotonic()
    proc = subprocess.Popen([os.path.join(build, "bin", "kiln"), "dev", os.path.join(ROOT, "examples", "hello"),
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    if r.status == 200:
                        return (time.monotonic() - start) * 1000
            except OSError:
                time.sleep(0.005)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "dev"))
    args = ap.parse_args()
    display = ":%d" % (90 + os.getpid() % 9)
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    env = dict(os.environ, DISPLAY=display, KILN_STUDIO_BENCH="/")
    env.pop("QT_QPA_PLATFORM", None)
    try:
        studio_run(args.build, env)  # warms the code cache and the page cache
        kiln_dev_run(args.build)
        painted, answered, peer = [], [], []
        for _ in range(args.runs):  # interleaved, so background load hits both alike
            p, a = studio_run(args.build, env)
            painted.append(p)
            answered.append(a)
            peer.append(kiln_dev_run(args.build))
    finally:
        xvfb.terminate()
        xvfb.wait()
    med = statistics.median
    print(f"studio start, {args.runs} runs, medians (min-max), warm caches:")
    print(f"  window painted          {med(painted):7.0f} ms  ({min(painted):.0f}-{max(painted):.0f})   target < 500")
    print(f"  first response shown    {med(answered):7.0f} ms  ({min(answered):.0f}-{max(answered):.0f})   target < 1500")
    print(f"  peer: kiln dev, first 200 {med(peer):5.0f} ms  ({min(peer):.0f}-{max(peer):.0f})")
    print(f"  ratio first response / peer: {med(answered) / med(peer):.2f}")


if __name__ == "__main__":
    sys.exit(main())
