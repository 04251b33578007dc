#!/usr/bin/env python3
"""Two `kiln dev` builds compared under the same load at the same time (issue 17).

    bench/diag/pairedcpu.py PORT_A PORT_B PATH [--rounds N] [--seconds S] [--alternate] [WRK ARGS...]

Each round runs wrk against both ports at once (default -t1 -c1, 3 s) and reads each
process's per-thread CPU per request as threadcpu.py does. On this noisy VM two runs one
after the other can differ by 30 %; run side by side they see the same machine, so the ratio
B/A of each round's engine CPU is steadier than either figure. Prints each round and the
medians; the engine is the thread with the most CPU other than the server's ("main").
--alternate runs them one after the other instead (order flipped each round): at -t2 -c32 two
loads at once share two cores with four busy threads, and where each lands moved a round's
ratio by up to 40 % (session of 2026-12-05, from 11:13); one at a time, each has the machine
to itself, and the medians of enough rounds compare.
"""

import argparse
import statistics
import sys
import threading

from threadcpu import measure


def engine_and_server(threads):
    others = [(us, name) for name, (us, _) in threads.items() if name != "main"]
    return max(others)[0] if others else 0.0, threads.get("main", (0.0, 0.0))[0]


def main():
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("port_a")
    ap.add_argument("port_b")
    ap.add_argument("path")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--seconds", default="3")
    ap.add_argument("--alternate", action="store_true",
                    help="one build after the other (order flipped each round), not both at once")
    args, wrk_args = ap.parse_known_args()
    wrk_args = wrk_args or ["-t1", "-c1"]
    rows = []
    for n in range(args.rounds):
        results = {}

        def run(port):
            results[port] = measure(port, args.path, args.seconds, wrk_args)

        if args.alternate:
            for port in (args.port_a, args.port_b)[::1 if n % 2 == 0 else -1]:
                run(port)
        else:
            workers = [threading.Thread(target=run, args=(port,)) for port in (args.port_a, args.port_b)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
        if len(results) != 2:
            sys.exit("a measurement failed")
        (rate_a, threads_a), (rate_b, threads_b) = results[args.port_a], results[args.port_b]
        (eng_a, srv_a), (eng_b, srv_b) = engine_and_server(threads_a), engine_and_server(threads_b)
        rows.append((rate_a, eng_a, srv_a, rate_b, eng_b, srv_b))
        print(f"round {n + 1}: A {rate_a:.0f}/s engine {eng_a:.0f} us server {srv_a:.0f} us  |  "
              f"B {rate_b:.0f}/s engine {eng_b:.0f} us server {srv_b:.0f} us  |  "
              f"engine B/A {eng_b / max(eng_a, 1e-9):.2f}", flush=True)
    med = [statistics.median(r[i] for r in rows) for i in range(6)]
    ratios = sorted(r[4] / max(r[1], 1e-9) for r in rows)
    print(f"median: A {med[0]:.0f}/s engine {med[1]:.0f} us server {med[2]:.0f} us  |  "
          f"B {med[3]:.0f}/s engine {med[4]:.0f} us server {med[5]:.0f} us  |  engine B/A "
          f"{statistics.median(ratios):.2f} ({ratios[0]:.2f}-{ratios[-1]:.2f})")


if __name__ == "__main__":
    main()
