#!/usr/bin/env python3
"""Warm throughput of small handlers (issue 17): one KV get, one D1 point select, a JSON API
(parse a JSON body, return Response.json), beside the hello handler, through the real HTTP
server with wrk.

    bench/handlers.py [--kiln PATH] [--duration S] [--json FILE]

Kiln serves bench/projects/handlers with a primed code cache. The peer (node 20 + the same
Pyodide and the same SDK glue, bench/peer/server.mjs) runs the same project but has no KV or
D1, so it is measured on the JSON handler only. Each figure is the median of 3 wrk runs
(`-t1 -c1` and `-t2 -c32`) after a warm-up; non-2xx answers are counted and reported.
Targets: >= 10,000 requests/s for each at -c32.
"""

import argparse
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import (BENCH, DEFAULT_KILN, PEER, PYODIDE, http_get, log, run_wrk, start_answering,  # noqa: E402
                 start_primed_dev)

PROJECT = os.path.join(BENCH, "projects", "handlers")
POST_JSON = os.path.join(BENCH, "diag", "post_json.lua")
SETUPS = [("-t1 -c1", 1, 1), ("-t2 -c32", 2, 32)]


def measure(port, path, threads, conns, duration, script=None):
    run_wrk(port, 2, 32, 2, path=path, script=script)  # warm-up
    runs = [run_wrk(port, threads, conns, duration, path=path, script=script) for _ in range(3)]
    runs.sort(key=lambda r: r["rps"])
    mid = runs[1]
    mid["errors"] = sum(r["socket_errors"] + r["non_2xx"] for r in runs)
    return mid


def start_peer(project):
    return start_answering(["node", PEER, "--project", project, "--pyodide", PYODIDE], "the peer")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kiln", default=os.environ.get("KILN", DEFAULT_KILN))
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--json")
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="kiln-bench-handlers-") as work:
        proc, port = start_primed_dev(args.kiln, PROJECT, work, "Kiln handler throughput")
        try:
            status, body = http_get(port, "/setup", timeout=120)
            assert status == 200, (status, body)
            for name, path, script in (("hello", "/", None), ("KV get", "/kv", None),
                                       ("D1 point select", "/d1", None), ("JSON API", "/json", POST_JSON)):
                for label, t, c in SETUPS:
                    r = measure(port, path, t, c, args.duration, script)
                    results[("kiln", name, label)] = r
                    log(f"  kiln  {name:16s} {label:9s} {r['rps']:9.1f} req/s  p99 {r['p99_ms']:.3f} ms"
                        + (f"  !! {r['errors']} errors" if r["errors"] else ""))
        finally:
            proc.terminate()
            proc.wait()
        proc, port = start_peer(PROJECT)
        try:
            for label, t, c in SETUPS:
                r = measure(port, "/json", t, c, args.duration, POST_JSON)
                results[("peer", "JSON API", label)] = r
                log(f"  peer  {'JSON API':16s} {label:9s} {r['rps']:9.1f} req/s  p99 {r['p99_ms']:.3f} ms"
                    + (f"  !! {r['errors']} errors" if r["errors"] else ""))
        finally:
            proc.terminate()
            proc.wait()
    log("\n| handler | wrk | Kiln req/s | Kiln p99 ms | peer req/s | Kiln/peer |")
    log("|---|---|---|---|---|---|")
    for name in ("hello", "KV get", "D1 point select", "JSON API"):
        for label, _, _ in SETUPS:
            k = results[("kiln", name, label)]
            p = results.get(("peer", name, label))
            missing = "– (bench/run.py) | –" if name == "hello" else "– (no KV or D1 in the peer) | –"
            peer = f"{p['rps']:.0f} | {k['rps'] / p['rps']:.2f}" if p else missing
            log(f"| {name} | `{label}` | {k['rps']:.0f} | {k['p99_ms']:.2f} | {peer} |")
    for name in ("KV get", "D1 point select", "JSON API"):
        rps = results[("kiln", name, "-t2 -c32")]["rps"]
        log(f"target: {name} >= 10,000 requests/s at -c32: {'MET' if rps >= 10000 else 'MISSED'} ({rps:.0f})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({" / ".join(k): v for k, v in results.items()}, f, indent=2)


if __name__ == "__main__":
    main()
