#!/usr/bin/env python3
"""Workflow benchmarks: the cost of an empty `step.do` inside a real `kiln dev`, beside the
same body awaited as a plain Python coroutine in the same run() (the peer), and how long an
instance takes from `create()` to its first step body.

    bench/workflows.py [--kiln PATH] [--rounds N] [--steps N] [--json FILE]

Worker side (bench/projects/workflows): run() declares N empty steps and times awaiting them
all with time.perf_counter, then awaits the same empty coroutine N times. Figures per step:
  first run, state on disk (ext4): each step is recorded twice (attempt begun, attempt
    ended), each record one fsynced SQLite transaction, before and after its body;
  first run, state on tmpfs (/dev/shm): the same records without a disk flush;
  replay: the instance is stopped during a sleep after its steps and `kiln dev` started
    again; run() re-executes from the top and every step is answered from the store;
  plain: `await empty()`, no step.
Instance start: `create()` as timed inside the fetch handler, and the wall-clock ms from
just before `create()` to the first step body (the engine starts a run from its own timer,
outside the request).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import BENCH, DEFAULT_KILN, busy_processes, http_get, log, machine_line, prime_cache, snapshot_kiln, start_dev  # noqa: E402

PROJECT = os.path.join(BENCH, "projects", "workflows")


class Dev:
    def __init__(self, kiln, state, cache_dir):
        self.proc, self.port = start_dev(kiln, PROJECT, state, cache_dir)

    def get(self, path):
        status, body = http_get(self.port, path, timeout=120)
        if status != 200:
            sys.exit(f"bench: GET {path} -> {status}: {body[:500]!r}")
        return json.loads(body)

    def wait(self, ident, want):
        for _ in range(1200):
            s = self.get(f"/status?id={ident}")
            if s["status"] == want:
                return s
            if s["status"] == "errored":
                sys.exit(f"bench: {ident} errored: {s}")
            time.sleep(0.05)
        sys.exit(f"bench: {ident} never became {want}")

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def run_round(kiln, work, cache_dir, steps, r):
    out = {}
    for where, root in (("disk", work), ("tmpfs", "/dev/shm")):
        state = tempfile.mkdtemp(prefix="kiln-bench-wf-", dir=root)
        dev = Dev(kiln, state, cache_dir)
        try:
            made = dev.get(f"/create?id=fresh{r}&n={steps}")
            o = dev.wait(made["id"], "complete")["output"]
            out[f"step_{where}_us"] = o["step_us"]
            out.setdefault("plain_us", o["plain_us"])
            if where == "disk":
                starts, creates = [], []
                for i in range(10):
                    made = dev.get(f"/create?id=start{r}x{i}&n=0")
                    creates.append(made["create_us"])
                    starts.append(dev.wait(made["id"], "complete")["output"]["start_ms"])
                out["create_us"] = statistics.median(creates)
                out["start_ms"] = statistics.median(starts)
                dev.get(f"/create?id=replay{r}&n={steps}&hold=3%20seconds")
                dev.wait(f"replay{r}", "waiting")
                dev.stop()
                dev = Dev(kiln, state, cache_dir)
                out["step_replay_us"] = dev.wait(f"replay{r}", "complete")["output"]["step_us"]
        finally:
            dev.stop()
            subprocess.run(["rm", "-rf", state])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kiln", default=os.environ.get("KILN", DEFAULT_KILN))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kiln-bench-workflows-") as work:
        kiln = snapshot_kiln(args.kiln, os.path.join(work, "bin-copy"))
        cache_dir = os.path.join(work, "cache")
        prime_cache(kiln, cache_dir)
        log(f"# Kiln workflow benchmarks\n{machine_line()}\nbusy processes at start: {busy_processes() or 'none'}")
        rounds = []
        for r in range(args.rounds):
            rounds.append(run_round(kiln, work, cache_dir, args.steps, r))
            log(f"  round {r + 1}: {json.dumps({k: round(v, 1) for k, v in rounds[-1].items()})}")
    med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    plain = med["plain_us"]
    log(f"\n| figure ({args.steps} empty steps, median of {args.rounds} rounds) | Kiln | plain Python call | ratio |")
    log("|---|---|---|---|")
    for label, key in (("`step.do`, first run, state on disk (µs/step)", "step_disk_us"),
                       ("`step.do`, first run, state on tmpfs (µs/step)", "step_tmpfs_us"),
                       ("`step.do` replayed from the store (µs/step)", "step_replay_us")):
        log(f"| {label} | {med[key]:.0f} | {plain:.2f} | {med[key] / plain:.0f}x |")
    log(f"| `create()` inside a request (µs) | {med['create_us']:.0f} | | |")
    log(f"| `create()` to the first step body (ms) | {med['start_ms']:.1f} | | |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rounds": rounds, "median": med}, f, indent=2)


if __name__ == "__main__":
    main()
