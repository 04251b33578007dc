#!/usr/bin/env python3
"""Binding benchmarks: KV, D1 and R2 from Python inside a real `kiln dev`, each figure beside
the same work done natively (bench/native/storebench.cpp: the sqlite3 C API and plain file
I/O, same durability settings) in the same run.

    bench/bindings.py [--kiln PATH] [--storebench PATH] [--rounds N] [--json FILE]

Worker side (bench/projects/bindings): each endpoint loops N operations and times them with
time.perf_counter inside the worker, so HTTP is not in the figures. Per operation:
  KV get/put of 100-byte values (N = 2000);
  D1 point select by random id on a 100k-row table (N = 2000), and the same selects 100 to
  a db.batch() call; D1 batch insert of 10k rows (one db.batch of 10k statements);
  R2 put + get of a 64 MiB object (MiB/s each way, median of three objects), after one
  untimed object of the same
  size in and out on both sides (a VM's first touch of fresh memory and page cache can
  triple a 64 MiB write). The get reads the object whole (arrayBuffer()), so the native
  figure it is set beside reads the file whole into a buffer of its size; the native
  streamed read (one 1 MiB buffer, always in cache) is printed too, and so is the native
  write with the MD5 that R2 returns as the etag computed alongside: MD5 is one pass that
  cannot be split (about 650 MB/s here), so no R2 put of in-memory bytes can be faster.
Targets (issue #3): D1 point select under 5x native; R2 throughput within 2x native.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import BENCH, DEFAULT_KILN, REPO, busy_processes, http_get, log, machine_line, prime_cache, snapshot_kiln, start_dev  # noqa: E402

PROJECT = os.path.join(BENCH, "projects", "bindings")
DEFAULT_STOREBENCH = os.path.join(REPO, "build", "dev", "bin", "kiln_storebench")


def get_json(port, path, timeout=600.0):
    status, body = http_get(port, path, timeout=timeout)
    if status != 200:
        sys.exit(f"bench: GET {path} -> {status}: {body[:500]!r}")
    return json.loads(body)


def native(storebench, *args):
    out = subprocess.run([storebench, *map(str, args)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def run_round(kiln, storebench, work, cache_dir):
    state = os.path.join(work, "state")
    shutil.rmtree(state, ignore_errors=True)
    proc, port = start_dev(kiln, PROJECT, state, cache_dir)
    try:
        k = {}
        k.update(get_json(port, "/kv?n=2000"))
        get_json(port, "/d1/setup?rows=100000")
        k.update(get_json(port, "/d1/select?rows=100000&n=2000"))
        k.update(get_json(port, "/d1/batch"))
        k.update(get_json(port, "/r2?mib=64"))
    finally:
        proc.terminate()
        proc.wait()
    nat_dir = os.path.join(work, "native")
    shutil.rmtree(nat_dir, ignore_errors=True)
    os.makedirs(nat_dir)
    n = {}
    n.update(native(storebench, "kv", nat_dir, 2000))
    n.update(native(storebench, "d1", nat_dir, 100000, 2000))
    n.update(native(storebench, "r2", nat_dir, 64))
    return k, n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kiln", default=os.environ.get("KILN", DEFAULT_KILN))
    ap.add_argument("--storebench", default=DEFAULT_STOREBENCH)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kiln-bench-bindings-") as work:
        kiln = snapshot_kiln(args.kiln, os.path.join(work, "bin-copy"))
        # Steady state, as a user's second `kiln dev` runs: Pyodide's optimised code comes
        # from the code cache. Without it the first round would time Python running on
        # V8's baseline wasm code while the optimising compiler is still busy.
        cache_dir = os.path.join(work, "cache")
        prime_cache(kiln, cache_dir)
        log(f"# Kiln binding benchmarks\n{machine_line()}\nbusy processes at start: {busy_processes() or 'none'}")
        rounds = []
        for r in range(args.rounds):
            k, n = run_round(kiln, args.storebench, work, cache_dir)
            log(f"  round {r + 1}: kiln {json.dumps({a: round(b, 1) for a, b in k.items() if a not in ('bytes', 'checksum')})}")
            log(f"           native {json.dumps({a: round(b, 1) for a, b in n.items() if a not in ('bytes', 'checksum')})}")
            rounds.append((k, n))
    med = lambda side, key: statistics.median(r[side][key] for r in rounds)  # noqa: E731
    rows = [
        ("KV put, 100-byte value (us/op)", "put_us", "put_us", False),
        ("KV get, 100-byte value (us/op)", "get_us", "get_us", False),
        ("D1 point select, 100k rows (us/op)", "select_us", "select_us", False),
        ("D1 point select, 100 per db.batch() (us/op)", "batched_select_us", "select_us", False),
        ("D1 batch insert of 10k rows (ms)", "batch10k_ms", "batch10k_ms", False),
        ("R2 put, 64 MiB (MiB/s)", "put_mib_s", "put_mib_s", True),
        ("R2 get, 64 MiB (MiB/s)", "get_mib_s", "get_mib_s", True),
    ]
    log("\n| operation | Kiln (from Python) | native | Kiln/native cost |")
    log("|---|---|---|---|")
    ratios = {}
    for label, kk, nk, rate in rows:
        kv, nv = med(0, kk), med(1, nk)
        ratio = nv / kv if rate else kv / nv
        ratios[kk] = ratio
        log(f"| {label} | {kv:.1f} | {nv:.1f} | {ratio:.1f}x |")
    stream = med(1, "get_stream_mib_s")
    log(f"| (native R2 get streamed through one 1 MiB buffer) | | {stream:.1f} | {stream / med(0, 'get_mib_s'):.1f}x |")
    floor = med(1, "put_md5_mib_s")
    log(f"| (native write with the etag's MD5 alongside: the least an R2 put costs) | | {floor:.1f} | {floor / med(0, 'put_mib_s'):.1f}x |")
    d1_ok = ratios["select_us"] < 5
    r2_ok = ratios["put_mib_s"] < 2 and ratios["get_mib_s"] < 2
    log(f"\ntarget: D1 point select under 5x native: {'MET' if d1_ok else 'MISSED'} ({ratios['select_us']:.1f}x)")
    log(f"target: R2 throughput within 2x native: {'MET' if r2_ok else 'MISSED'} (put {ratios['put_mib_s']:.1f}x, get {ratios['get_mib_s']:.1f}x)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rounds": rounds, "ratios": ratios}, f, indent=2)


if __name__ == "__main__":
    main()
