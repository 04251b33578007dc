#!/usr/bin/env python3
"""Soak (issue 17): a million requests through `kiln dev`, bounded in time, checking that
resident memory stays flat and that every request was answered once.

    bench/soak.py [--kiln PATH] [--requests N] [--limit S] [--path / | /kv | /d1 | /json]

Kiln serves bench/projects/handlers (each request runs the Python handler, which counts it)
with a primed code cache; --path picks the handler (default the hello one, /). After a warm-up of ~10,000 requests the RSS is read; then `wrk -t2 -c32`
runs in 20 s stretches until N requests (default 1,000,000) were answered or S seconds
(default 300) have passed, and the RSS is read again. Every request must have a 2xx answer
(wrk counts socket errors and other statuses), and the handler's own count must match what
wrk counted: at least every answered request, at most one more per connection per stretch
(a request wrk sent but stopped waiting for when the stretch ended).
Targets: RSS after the run within 10 MB of RSS after the warm-up; at most 150 MB. The RSS is
also sampled every second: a worker whose requests allocate much JS garbage (the KV and D1
handlers) swings by ~35 MB between major collections, so a single reading lands anywhere on
that saw; the lowest reading of the run's first and last quarters (the floor) says whether
memory grows under it. So the two readings the targets compare are taken at rest: after the
warm-up and after the run the load stops for --settle seconds (default 30), long enough for
the engine's collection at rest (10–20 s after the last request: runtime/engine/README.md),
and the RSS is read at the end of that wait; the readings the moment the load stopped are printed beside them.
"""

import argparse
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import BENCH, DEFAULT_KILN, handled_count, http_get, log, run_wrk, start_primed_dev  # noqa: E402

PROJECT = os.path.join(BENCH, "projects", "handlers")
CONNS = 32


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def settled_rss(pid, seconds):
    """(RSS the moment the load stopped, RSS after `seconds` without load), both in MB."""
    now = rss_mb(pid)
    time.sleep(seconds)
    return now, rss_mb(pid)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kiln", default=os.environ.get("KILN", DEFAULT_KILN))
    ap.add_argument("--requests", type=int, default=1_000_000)
    ap.add_argument("--limit", type=int, default=300)
    ap.add_argument("--path", default="/", choices=["/", "/kv", "/d1", "/json"])
    ap.add_argument("--settle", type=int, default=30,
                    help="seconds without load before each of the two RSS readings compared")
    args = ap.parse_args()
    script = os.path.join(BENCH, "diag", "post_json.lua") if args.path == "/json" else None

    def load(seconds):
        return run_wrk(port, 2, CONNS, seconds, path=args.path, script=script)

    with tempfile.TemporaryDirectory(prefix="kiln-bench-soak-") as work:
        proc, port = start_primed_dev(args.kiln, PROJECT, work, "Kiln soak")
        try:
            if args.path != "/":
                status, body = http_get(port, "/setup", timeout=120)
                assert status == 200, (status, body)
            before = handled_count(port)
            stretches = []
            while sum(s["requests"] for s in stretches) < 10_000:
                stretches.append(load(1))
            warm_busy, rss_warm = settled_rss(proc.pid, args.settle)
            log(f"  warm-up: {sum(s['requests'] for s in stretches):,} requests, RSS {warm_busy:.1f} MB, "
                f"{rss_warm:.1f} MB after {args.settle} s at rest")
            answered, t0 = 0, time.monotonic()
            samples, stop = [], threading.Event()  # (seconds since t0, RSS MB), every second

            def sample():
                while not stop.wait(1.0):
                    samples.append((time.monotonic() - t0, rss_mb(proc.pid)))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            while answered < args.requests and time.monotonic() - t0 < args.limit:
                left = args.limit - (time.monotonic() - t0)
                s = load(max(1, min(20, int(left))))
                stretches.append(s)
                answered += s["requests"]
                log(f"  {answered:>9,} requests, {s['rps']:8.0f} req/s, RSS {rss_mb(proc.pid):.1f} MB")
            elapsed = time.monotonic() - t0
            stop.set()
            sampler.join()
            end_busy, rss_end = settled_rss(proc.pid, args.settle)
            counted = sum(s["requests"] for s in stretches)
            failed = sum(s["socket_errors"] + s["non_2xx"] for s in stretches)
            handled = handled_count(port) - before - 1  # the count request itself
        finally:
            proc.terminate()
            proc.wait()
    slack = CONNS * len(stretches)
    once = counted <= handled <= counted + slack and failed == 0
    log(f"\n| figure ({args.path}) | value |\n|---|---|")
    log(f"| requests answered (wrk), after the warm-up | {answered:,} in {elapsed:.0f} s |")
    log(f"| handler runs / requests wrk counted (all stretches) | {handled:,} / {counted:,} "
        f"(at most {slack} more allowed: requests in flight when a stretch ended) |")
    log(f"| socket errors + non-2xx answers | {failed} |")
    log(f"| RSS after the warm-up / after the run, {args.settle} s at rest | {rss_warm:.1f} / "
        f"{rss_end:.1f} MB ({rss_end - rss_warm:+.1f} MB) |")
    log(f"| the same the moment the load stopped | {warm_busy:.1f} / {end_busy:.1f} MB "
        f"({end_busy - warm_busy:+.1f} MB) |")
    quarter = elapsed / 4
    first = [mb for t, mb in samples if t <= quarter]
    last = [mb for t, mb in samples if t >= elapsed - quarter]
    floor_growth = min(last) - min(first) if first and last else float("nan")
    if first and last:
        log(f"| RSS floor (lowest reading) in the first / last quarter of the run | "
            f"{min(first):.1f} / {min(last):.1f} MB ({floor_growth:+.1f} MB); readings "
            f"{min(mb for _, mb in samples):.1f}–{max(mb for _, mb in samples):.1f} MB |")
    log(f"target: {args.requests:,} requests within {args.limit} s: "
        f"{'MET' if answered >= args.requests else 'MISSED'} ({answered:,})")
    log(f"target: every request answered once: {'MET' if once else 'MISSED'}")
    log(f"target: RSS within 10 MB of the warm-up's: "
        f"{'MET' if abs(rss_end - rss_warm) <= 10 else 'MISSED'} ({rss_end - rss_warm:+.1f} MB)")
    log(f"target: RSS <= 150 MB: {'MET' if rss_end <= 150 else 'MISSED'} ({rss_end:.1f} MB)")
    log(f"no growth under the saw: the last quarter's RSS floor within 10 MB of the first's: "
        f"{'MET' if abs(floor_growth) <= 10 else 'MISSED'} ({floor_growth:+.1f} MB)")
    sys.exit(0 if once else 1)


if __name__ == "__main__":
    main()
