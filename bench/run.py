#!/usr/bin/env python3
"""Kiln benchmarks, each figure printed beside its peer measured in the same run.

    bench/run.py [--quick] [--runs N] [--duration S] [--rounds N]
                 [--only coldstart|throughput|spans|dispatch|handlers] [--no-spans] [--wrangler]
                 [--kiln PATH] [--json FILE]

1. Cold start (whole process, spawn -> first complete HTTP 200 on GET /) of the hello
   project (bench/projects/hello) for
     kiln-nocache  `kiln dev`, KILN_NO_CODE_CACHE=1 and a fresh empty KILN_CACHE_DIR per run
     kiln-cache    `kiln dev` with a code cache primed once (the cache file exists)
     peer          node 20 + the same Pyodide npm package (bench/peer/server.mjs)
   The three are interleaved run by run so background load hits them alike.
2. Warm throughput/latency with wrk (-t1 -c1 and -t2 -c32, --latency) against Kiln (warm code
   cache) and the peer, each run after a 2 s warm-up, rounds alternating which side goes
   first; the median run is reported. Both run the Python handler per request: the handler
   counts its calls and the bench checks the count against wrk's request count.
3. Kiln's boot phases (`kiln dev --log-level debug`; older builds: a patched copy of the share
   dir), for a code-cache miss, a hit, and a miss with V8's default dynamic tiering.
4. Per-request cost inside one isolate without HTTP: bench/diag/dispatch.mjs under `kiln js`
   and under node.
5. The handlers beside hello (bench/handlers.py, run as it runs alone): one KV get, one D1
   point select and a JSON API, each beside the peer; --wrangler adds `wrangler dev` serving
   the same four handlers in JavaScript as a second peer.

Python 3 standard library only. Ratios are Kiln / peer: below 1 is better for Kiln on
times, above 1 is better for Kiln on requests/s. See bench/README.md.
"""

import argparse
import atexit
import datetime
import glob
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
PROJECT = os.path.join(BENCH, "projects", "hello")
PEER = os.path.join(BENCH, "peer", "server.mjs")
PYODIDE = os.path.join(REPO, ".deps", "npm", "node_modules", "pyodide")
DEFAULT_KILN = os.path.join(REPO, "build", "dev", "bin", "kiln")

BOOT_DEADLINE_S = 120.0


def log(msg=""):
    print(msg, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- HTTP/1.1 client for the cold-start poll -----------------------------------------------

def read_response(sock):
    """Reads one complete HTTP/1.1 response; returns (status, body bytes)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before headers")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()

    def more():
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed in body")
        return chunk

    if "content-length" in headers:
        n = int(headers["content-length"])
        while len(rest) < n:
            rest += more()
        return status, rest[:n]
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = b""
        while True:
            while b"\r\n" not in rest:
                rest += more()
            size_line, rest = rest.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(rest) < size + 2:
                rest += more()
            body += rest[:size]
            rest = rest[size + 2:]
            if size == 0:
                return status, body
    while True:  # delimited by close
        try:
            chunk = sock.recv(65536)
        except ConnectionError:
            chunk = b""
        if not chunk:
            return status, rest
        rest += chunk


def http_get(port, path="/", timeout=5.0):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        return read_response(s)


def wait_first_200(proc, port, t0, deadline_s=BOOT_DEADLINE_S):
    """Tight poll: TCP connect (50 ms timeout, retried every 2 ms while refused); once a
    connection is accepted, send GET / and wait for the complete response (both servers
    accept during boot and hold the request until the worker is ready). Returns
    (seconds to first complete 200, seconds to first accepted connection)."""
    first_accept = None
    deadline = t0 + deadline_s
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering")
        now = time.perf_counter()
        if now > deadline:
            raise TimeoutError("no HTTP 200 before the deadline")
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(0.05)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            s.close()
            time.sleep(0.002)
            continue
        try:
            if first_accept is None:
                first_accept = time.perf_counter() - t0
            s.settimeout(max(0.05, deadline - time.perf_counter()))
            s.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
            status, body = read_response(s)
            t = time.perf_counter() - t0
        except (OSError, ValueError, IndexError):
            time.sleep(0.002)
            continue
        finally:
            s.close()
        if status == 200:
            if body != b"Hello":
                raise RuntimeError(f"unexpected body {body[:80]!r}")
            return t, first_accept
        time.sleep(0.002)


# --- servers ---------------------------------------------------------------------------------

class Server:
    """One server process; stdout+stderr go to a file (reading them never blocks it)."""

    def __init__(self, kind, port, kiln=None, cache_dir=None, no_cache=False, share_dir=None,
                 extra_args=(), v8_flags=None, snapshot=None, project=PROJECT):
        self.kind, self.port = kind, port
        self.logfile = tempfile.NamedTemporaryFile(prefix=f"kiln-bench-{kind}-", suffix=".log", delete=False)
        env = dict(os.environ)
        env.pop("KILN_V8_FLAGS", None)
        env.pop("KILN_SHARE_DIR", None)
        if v8_flags:
            env["KILN_V8_FLAGS"] = v8_flags
        if kind == "kiln":
            env["KILN_CACHE_DIR"] = cache_dir
            if no_cache:
                env["KILN_NO_CODE_CACHE"] = "1"
            else:
                env.pop("KILN_NO_CODE_CACHE", None)
            if share_dir:
                env["KILN_SHARE_DIR"] = share_dir
            self.argv = [kiln, "dev", project, "--port", str(port), *extra_args]
        else:
            self.argv = ["node", PEER, "--project", project, "--port", str(port), "--pyodide", PYODIDE]
            if snapshot:
                self.argv += ["--snapshot", snapshot]
        self.env = env
        self.proc = None
        self.t0 = None

    def start(self):
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(self.argv, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=self.logfile, stderr=subprocess.STDOUT, cwd=REPO)
        return self

    def wait_ready(self):
        return wait_first_200(self.proc, self.port, self.t0)

    def output(self):
        with open(self.logfile.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logfile.close()

    def cleanup(self):
        try:
            os.unlink(self.logfile.name)
        except OSError:
            pass


def kiln_worker_ready_ms(text):
    m = re.search(r"Worker ready in (\d+(?:\.\d+)?) ms", text)
    return float(m.group(1)) if m else None


def peer_marks(text):
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"^\[peer\] (.+?) (\d+(?:\.\d+)?)$", text, re.M)}


def cache_files(cache_dir):
    return glob.glob(os.path.join(cache_dir, "wasm-*.bin"))


def cache_complete(cache_dir):
    """Both caches a boot fills: compiled wasm (wasm-*.bin) and the compiled stdlib (file-*.bin)."""
    return bool(cache_files(cache_dir)) and bool(glob.glob(os.path.join(cache_dir, "file-*.bin")))


def start_answering(argv, what, env=None):
    """Starts a quiet server process on a free port (`argv` gets "--port N" appended) and
    returns it once it answers HTTP: (process, port)."""
    port = free_port()
    proc = subprocess.Popen([*argv, "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
    for _ in range(600):
        try:
            http_get(port, "/", timeout=60)
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    sys.exit(f"bench: {what} did not answer")


def start_dev(kiln, project, state, cache_dir):
    """A quiet `kiln dev` of `project` on a free port with `cache_dir` as its cache, returned
    once it answers HTTP: (process, port)."""
    env = dict(os.environ, KILN_CACHE_DIR=cache_dir)
    env.pop("KILN_NO_CODE_CACHE", None)
    return start_answering([kiln, "dev", project, "--persist-to", state], f"kiln dev {project}", env)


def start_primed_dev(kiln, project, work, title):
    """A quiet `kiln dev` of `project` from a copy of `kiln`, its cache (in `work`) primed with
    that project, so it restores the project's own dedicated snapshot; logs `title` with the
    machine's state. Returns (process, port)."""
    kiln = snapshot_kiln(kiln, os.path.join(work, "bin-copy"))
    cache_dir = os.path.join(work, "cache")
    prime_cache(kiln, cache_dir, project=project,
                extra_args=("--persist-to", os.path.join(work, "prime-state")))
    log(f"# {title}\n{machine_line()}\nbusy processes at start: {busy_processes() or 'none'}")
    return start_dev(kiln, project, os.path.join(work, "state"), cache_dir)


def prime_cache(kiln, cache_dir, share_dir=None, extra_args=(), info=None, project=PROJECT):
    """Fills an empty cache dir as a person's second start finds it: boots until the compiled
    wasm, the compiled stdlib and the three snapshot tiers are stored (each file-*.bin with
    its .xxh3 sidecar), then boots once more, since that boot finds the compiled stdlib and
    makes the snapshots again for it.
    Fills `info` (if given) with the first boot's time to first 200 and CPU by thread."""
    output = ""

    def stored(large):
        # Checked files: snapshots are ~30 MB, the compiled stdlib ~13 MB.
        files = [f[:-len(".xxh3")] for f in glob.glob(os.path.join(cache_dir, "file-*.bin.xxh3"))]
        return sum(1 for f in files if os.path.exists(f) and (os.path.getsize(f) > 20 << 20) == large)

    snapshots = 0
    for first in (True, False):
        server = Server("kiln", free_port(), kiln=kiln, cache_dir=cache_dir, share_dir=share_dir,
                        extra_args=extra_args, project=project).start()
        try:
            t, accept = server.wait_ready()
            if info is not None and first:
                info.update(ms=t * 1000, accept_ms=accept * 1000, cpu_ms=process_cpu_ms(server.proc.pid),
                            thread_cpu_ms=thread_cpu_ms(server.proc.pid))
            deadline = time.time() + 90
            # First: the compiled wasm, the compiled stdlib, the baseline and package snapshots
            # (and the dedicated one unless the top level keeps a JS object). Then the two or
            # three made again for the compiled stdlib.
            done = (lambda: cache_complete(cache_dir) and stored(False) >= 1 and stored(True) >= 2) if first \
                else (lambda: stored(True) >= snapshots + 2)
            while not done():
                if time.time() > deadline or server.proc.poll() is not None:
                    raise RuntimeError("Kiln did not write its caches:\n" + server.output())
                time.sleep(0.1)
            time.sleep(1)  # the dedicated snapshot follows the package one
            snapshots = stored(True)
            output = output or server.output()
        finally:
            server.stop()
            server.cleanup()
    return output


# --- 1. cold start ---------------------------------------------------------------------------

def bench_coldstart(kiln, runs):
    work = tempfile.mkdtemp(prefix="kiln-bench-")
    warm_cache = os.path.join(work, "warm-cache")
    os.makedirs(warm_cache)
    log(f"priming the code cache in {warm_cache} ...")
    prime_cache(kiln, warm_cache)
    primed = {p: os.path.getmtime(p) for p in cache_files(warm_cache)}
    log(f"  cache: {', '.join(f'{os.path.basename(p)} ({os.path.getsize(p) / 1048576:.1f} MiB)' for p in primed)}")

    # The peer with Pyodide's own memory snapshot, made once before the runs.
    peer_snapshot = os.path.join(work, "peer-snapshot.bin")
    maker = Server("peer", free_port(), snapshot=peer_snapshot).start()
    try:
        maker.wait_ready()
    finally:
        maker.stop()
        maker.cleanup()
    configs = ["kiln-nocache", "kiln-cache", "peer", "peer-snapshot"]
    results = {c: [] for c in configs}
    for i in range(runs):
        for c in configs:
            port = free_port()
            if c == "kiln-nocache":
                fresh = tempfile.mkdtemp(prefix="cache-", dir=work)
                server = Server("kiln", port, kiln=kiln, cache_dir=fresh, no_cache=True)
            elif c == "kiln-cache":
                server = Server("kiln", port, kiln=kiln, cache_dir=warm_cache)
            elif c == "peer-snapshot":
                server = Server("peer", port, snapshot=peer_snapshot)
            else:
                server = Server("peer", port)
            server.start()
            try:
                t, accept = server.wait_ready()
                cpu, threads = process_cpu_ms(server.proc.pid), thread_cpu_ms(server.proc.pid)
            finally:
                server.stop()
            out = server.output()
            server.cleanup()
            row = {"ms": t * 1000, "accept_ms": accept * 1000, "cpu_ms": cpu, "thread_cpu_ms": threads}
            if c.startswith("kiln"):
                row["worker_ready_ms"] = kiln_worker_ready_ms(out)
            else:
                marks = peer_marks(out)
                row["pyodide_loaded_ms"] = marks.get("boot pyodide-loaded")
                row["main_imported_ms"] = marks.get("boot main-imported")
            results[c].append(row)
            extra = (f"worker ready {row['worker_ready_ms']:.0f} ms" if c.startswith("kiln") and row.get("worker_ready_ms")
                     else f"pyodide loaded {row.get('pyodide_loaded_ms') or 0:.0f} ms" if c.startswith("peer") else "")
            log(f"  run {i + 1}/{runs} {c:13s} {t * 1000:7.0f} ms  (accepting at {accept * 1000:.0f} ms; {extra}; "
                f"CPU {cpu:.0f} ms: " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(threads.items(), key=lambda kv: -kv[1]) if v >= 10) + ")")
            time.sleep(0.3)
    # The cache runs are killed long before the 8 s store: the primed file must be untouched.
    for p, mtime in primed.items():
        if not os.path.exists(p) or os.path.getmtime(p) != mtime:
            log(f"WARNING: {p} changed during the cache runs")
    shutil.rmtree(work, ignore_errors=True)
    return results


def summarize_coldstart(results):
    def med(c, key="ms"):
        vals = [r[key] for r in results[c] if r.get(key) is not None]
        return statistics.median(vals) if vals else None

    def mn(c):
        return min(r["ms"] for r in results[c])

    peer_med, peer_min = med("peer"), mn("peer")
    lines = [
        "| setup | runs | median ms | min ms | max ms | Kiln/peer (median) | Kiln/peer (min) | median first accept ms | median boot ms (own clock) | median CPU ms to first 200 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    labels = {"kiln-nocache": "Kiln, no caches", "kiln-cache": "Kiln, code cache + dedicated snapshot",
              "peer": "peer: node 20 + Pyodide", "peer-snapshot": "peer with Pyodide's memory snapshot"}
    for c in ["kiln-nocache", "kiln-cache", "peer", "peer-snapshot"]:
        vals = [r["ms"] for r in results[c]]
        own = med(c, "worker_ready_ms") if c.startswith("kiln") else med(c, "main_imported_ms")
        ratio_med = f"{med(c) / peer_med:.2f}" if c != "peer" else "1"
        ratio_min = f"{mn(c) / peer_min:.2f}" if c != "peer" else "1"
        lines.append(f"| {labels[c]} | {len(vals)} | {med(c):.0f} | {mn(c):.0f} | {max(vals):.0f} | {ratio_med} | {ratio_min} | "
                     f"{med(c, 'accept_ms'):.0f} | {'-' if own is None else f'{own:.0f}'} | {med(c, 'cpu_ms'):.0f} |")
    lines.append(f"\nKiln (code cache + dedicated snapshot) / peer with its snapshot: "
                 f"{med('kiln-cache') / med('peer-snapshot'):.2f} on the median")
    return "\n".join(lines), med("kiln-cache")


# --- 1b. reload and the second start ---------------------------------------------------------

def bench_reload(kiln, runs):
    """Saving a one-line edit: kiln's own 'reloaded in' (file change seen to the new instance
    ready) and, client side, write to the first 200 showing the edit. Then the second start
    after a first run of only 5 s (fresh cache each time). Returns the figures in ms."""
    work = tempfile.mkdtemp(prefix="kiln-bench-reload-")
    cache = os.path.join(work, "cache")
    os.makedirs(cache)
    prime_cache(kiln, cache)
    project = os.path.join(work, "project")
    shutil.copytree(PROJECT, project)
    entry = os.path.join(project, "src", "entry.py")
    original = open(entry).read()
    port = free_port()
    env = dict(os.environ, KILN_CACHE_DIR=cache)
    env.pop("KILN_NO_CODE_CACHE", None)
    logfile = os.path.join(work, "dev.log")
    proc = subprocess.Popen([kiln, "dev", project, "--port", str(port), "--persist-to", os.path.join(work, "state")],
                            stdout=open(logfile, "w"), stderr=subprocess.STDOUT, env=env)
    reload_ms, edit_to_200_ms = [], []
    try:
        wait_first_200(proc, port, time.perf_counter())
        for i in range(runs):
            marker = f"Hello {i}"
            with open(entry, "w") as f:
                f.write(original.replace('Response("Hello")', f'Response("{marker}")'))
            t0 = time.perf_counter()
            while True:
                try:
                    status, body = http_get(port, "/", timeout=10)
                    if status == 200 and body == marker.encode():
                        break
                except OSError:
                    pass
                if time.perf_counter() - t0 > 30:
                    raise RuntimeError("the edit was not served within 30 s")
                time.sleep(0.002)
            edit_to_200_ms.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.5)
            said = re.findall(r"reloaded in (\d+) ms", open(logfile).read())
            reload_ms.append(float(said[-1]))
            log(f"  reload {i + 1}/{runs}: kiln says {reload_ms[-1]:.0f} ms; edit to first 200 {edit_to_200_ms[-1]:.0f} ms")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)

    second_ms = []
    for i in range(runs):
        fresh = tempfile.mkdtemp(prefix="cache-", dir=work)
        first = Server("kiln", free_port(), kiln=kiln, cache_dir=fresh).start()
        try:
            first.wait_ready()
            time.sleep(max(0.0, 5.0 - (time.perf_counter() - first.t0)))
        finally:
            first.stop()
            first.cleanup()
        second = Server("kiln", free_port(), kiln=kiln, cache_dir=fresh).start()
        try:
            t, _ = second.wait_ready()
        finally:
            second.stop()
            second.cleanup()
        second_ms.append(t * 1000)
        log(f"  second start after a 5 s first run {i + 1}/{runs}: {t * 1000:.0f} ms")
    shutil.rmtree(work, ignore_errors=True)
    return {"reload_ms": reload_ms, "edit_to_200_ms": edit_to_200_ms, "second_start_ms": second_ms}


def summarize_reload(r):
    def row(name, vals, target):
        return f"| {name} | {statistics.median(vals):.0f} | {min(vals):.0f} | {max(vals):.0f} | {target} |"
    return "\n".join([
        "| figure | median ms | min | max | target |",
        "|---|---|---|---|---|",
        # The first reload restores the package snapshot itself; from then on the idle lane
        # holds a spare restored ahead, and a reload only runs the project's files on it.
        row("first reload, kiln's own clock (no spare instance yet)", r["reload_ms"][:1], "-"),
        row("reload, kiln's own clock (change seen to new instance ready; spare restored ahead)",
            r["reload_ms"][1:] or r["reload_ms"], "< 150"),
        row("first reload, client side: write to the first 200 showing the edit",
            r["edit_to_200_ms"][:1], "-"),
        row("reload, client side: write to the first 200 showing the edit (incl. 50 ms debounce)",
            r["edit_to_200_ms"][1:] or r["edit_to_200_ms"], "-"),
        row("second start after a 5 s first run (spawn to first 200)", r["second_start_ms"], "< 1000"),
    ])


# --- 2. throughput ---------------------------------------------------------------------------

def to_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def run_wrk(port, threads, conns, duration, path="/", script=None):
    argv = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "--latency",
            *(["-s", script] if script else []), f"http://127.0.0.1:{port}{path}"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    res = {"argv": " ".join(argv[:-1])}
    res["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    res["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        res[f"p{pct}_ms"] = to_ms(m.group(1)) if m else None
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = sum(map(int, m.groups())) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non_2xx"] = int(m.group(1)) if m else 0
    res["raw"] = out
    return res


def thread_cpu_ms(pid):
    """{label: CPU ms} for every live thread of `pid` ("main" is the thread whose id is the
    pid; the others are "<comm> +<tid - pid>", which stays stable for one build)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for task in glob.glob(f"/proc/{pid}/task/*"):
        try:
            with open(os.path.join(task, "stat")) as f:
                st = f.read()
        except OSError:
            continue
        tid = int(os.path.basename(task))
        comm = st[st.index("(") + 1:st.rindex(")")]
        fields = st[st.rindex(")") + 2:].split()
        label = "main" if tid == pid else f"{comm} +{tid - pid}"
        out[label] = (int(fields[11]) + int(fields[12])) * 1000.0 / tick
    return out


def process_cpu_ms(pid):
    """CPU ms of the whole process so far, threads that already exited included."""
    with open(f"/proc/{pid}/stat") as f:
        st = f.read()
    fields = st[st.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


def children_cpu_ms():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (ru.ru_utime + ru.ru_stime) * 1000.0


def handled_count(port):
    status, body = http_get(port, "/count")
    assert status == 200, status
    return int(body)


def measure_one(s, name, threads, conns, duration, warmup):
    run_wrk(s.port, 2, 32, warmup)  # warm-up, not recorded
    before = handled_count(s.port)
    cpu_before, wrk_before = thread_cpu_ms(s.proc.pid), children_cpu_ms()
    res = run_wrk(s.port, threads, conns, duration)
    cpu_after, wrk_after = thread_cpu_ms(s.proc.pid), children_cpu_ms()
    after = handled_count(s.port)
    n = max(res["requests"], 1)
    res["server_cpu_us_per_req"] = {
        label: (cpu_after[label] - cpu_before.get(label, 0.0)) * 1000.0 / n for label in cpu_after}
    res["server_cpu_us_per_req_total"] = sum(res["server_cpu_us_per_req"].values())
    res["wrk_cpu_us_per_req"] = (wrk_after - wrk_before) * 1000.0 / n
    # `after` includes the /count request itself.
    res["handler_calls"] = after - before - 1
    res["handler_ran_per_request"] = res["handler_calls"] >= res["requests"]
    flag = "" if res["handler_ran_per_request"] else "  !! handler ran fewer times than wrk counted"
    if res["socket_errors"] or res["non_2xx"]:
        flag += f"  !! {res['socket_errors']} socket errors, {res['non_2xx']} non-2xx"
    busy = sorted(res["server_cpu_us_per_req"].items(), key=lambda kv: -kv[1])
    log(f"  {name:5s} -t{threads} -c{conns}: {res['rps']:9.1f} req/s  p50 {res['p50_ms']:.3f} ms  "
        f"p99 {res['p99_ms']:.3f} ms  ({res['requests']} requests, handler ran {res['handler_calls']} times){flag}")
    log(f"        server CPU {res['server_cpu_us_per_req_total']:.0f} us/request ("
        + ", ".join(f"{label} {us:.0f}" for label, us in busy if us >= 1)
        + f"); wrk {res['wrk_cpu_us_per_req']:.0f} us/request")
    return res


def median_run(runs):
    """The run with the median requests/s (its p50/p99/CPU are reported with it)."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["all_rps"] = [r["rps"] for r in runs]
    chosen["handler_ran_per_request"] = all(r["handler_ran_per_request"] for r in runs)
    chosen["errors"] = sum(r["socket_errors"] + r["non_2xx"] for r in runs)
    return chosen


def bench_throughput(kiln, duration, warmup, rounds):
    work = tempfile.mkdtemp(prefix="kiln-bench-")
    cache = os.path.join(work, "cache")
    os.makedirs(cache)
    log("priming the code cache for the throughput server ...")
    prime_cache(kiln, cache)
    servers = {"kiln": Server("kiln", free_port(), kiln=kiln, cache_dir=cache), "peer": Server("peer", free_port())}
    runs = {}
    try:
        for s in servers.values():
            s.start()
            s.wait_ready()
        for threads, conns in ((1, 1), (2, 32)):
            for r in range(rounds):
                # Alternate which side goes first, so a burst of background load is shared.
                order = ["kiln", "peer"] if r % 2 == 0 else ["peer", "kiln"]
                for name in order:
                    res = measure_one(servers[name], name, threads, conns, duration, warmup)
                    runs.setdefault((name, threads, conns), []).append(res)
    finally:
        for s in servers.values():
            s.stop()
            s.cleanup()
        shutil.rmtree(work, ignore_errors=True)
    return {key: median_run(values) for key, values in runs.items()}


def summarize_throughput(results):
    lines = [
        "| wrk | metric | Kiln | peer | Kiln/peer |",
        "|---|---|---|---|---|",
    ]
    for threads, conns in ((1, 1), (2, 32)):
        k, p = results[("kiln", threads, conns)], results[("peer", threads, conns)]
        label = f"`-t{threads} -c{conns}`"
        spread = lambda r: "" if len(r["all_rps"]) < 2 else f" ({min(r['all_rps']):.0f}–{max(r['all_rps']):.0f})"
        lines.append(f"| {label} | requests/s (median run; range) | {k['rps']:.0f}{spread(k)} | {p['rps']:.0f}{spread(p)} | {k['rps'] / p['rps']:.2f} |")
        for pct in ("50", "99"):
            kv, pv = k[f"p{pct}_ms"], p[f"p{pct}_ms"]
            lines.append(f"| {label} | p{pct} ms | {kv:.3f} | {pv:.3f} | {kv / pv:.2f} |")
        kc, pc = k["server_cpu_us_per_req_total"], p["server_cpu_us_per_req_total"]
        lines.append(f"| {label} | server CPU us/request | {kc:.0f} | {pc:.0f} | {kc / pc:.2f} |")
    return "\n".join(lines)


# --- 3. Kiln boot spans ----------------------------------------------------------------------

SPAN_PATCH_FROM = "ops.span(name, start, ops.now());"
SPAN_PATCH_TO = ("{ const end = ops.now(); ops.span(name, start, end); "
                 "ops.log(0, `[bench-span] ${name}|${start}|${end}`); }")


def kiln_supports(kiln, needle):
    """Whether `kiln dev --help` mentions `needle` (an option)."""
    out = subprocess.run([kiln, "dev", "--help"], capture_output=True, text=True)
    return needle in out.stdout + out.stderr


def kiln_reads_env(kiln, name):
    """Whether the binary holds the environment variable's name (a plain char string)."""
    with open(kiln, "rb") as f:
        return name.encode() in f.read()


def spans_share_dir(kiln, work):
    """For builds without `--log-level debug`: a copy of Kiln's share dir whose worker.mjs
    also logs each boot span (or None)."""
    real = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(kiln))), "share", "kiln")
    src = os.path.join(real, "js", "worker.mjs")
    if not os.path.exists(src):
        return None
    with open(src, encoding="utf-8") as f:
        text = f.read()
    if SPAN_PATCH_FROM not in text:
        return None
    share = os.path.join(work, "share")
    os.makedirs(os.path.join(share, "js"))
    for entry in os.listdir(real):
        if entry != "js":
            os.symlink(os.path.join(real, entry), os.path.join(share, entry))
    for entry in os.listdir(os.path.join(real, "js")):
        if entry != "worker.mjs":
            os.symlink(os.path.join(real, "js", entry), os.path.join(share, "js", entry))
    with open(os.path.join(share, "js", "worker.mjs"), "w", encoding="utf-8") as f:
        f.write(text.replace(SPAN_PATCH_FROM, SPAN_PATCH_TO))
    return share


def parse_spans(text):
    """[(name, start ms, duration ms)] from `--log-level debug` lines or the patched worker."""
    spans = [(m.group(1), float(m.group(3)), float(m.group(2)))
             for m in re.finditer(r"boot: (.+?) ([\d.]+) ms \(at ([\d.]+) ms\)", text)]
    spans += [(m.group(1), float(m.group(2)), float(m.group(3)) - float(m.group(2)))
              for m in re.finditer(r"\[bench-span\] (.+?)\|([\d.e+-]+)\|([\d.e+-]+)", text)]
    return spans


def bench_spans(kiln):
    """Three extra Kiln boots with the boot phases printed: a code-cache miss (which then
    stores the cache), a hit, and, if the build reads KILN_V8_FLAGS, a miss with V8's default
    dynamic tiering instead of Kiln's --no-wasm-dynamic-tiering (diagnostic only)."""
    work = tempfile.mkdtemp(prefix="kiln-bench-spans-")
    try:
        share, args = None, ()
        if kiln_supports(kiln, "--log-level"):
            args = ("--log-level", "debug")
        else:
            share = spans_share_dir(kiln, work)
            if share is None:
                return None
        cache = os.path.join(work, "cache")
        os.makedirs(cache)
        out = {}
        info = {}
        text = prime_cache(kiln, cache, share_dir=share, extra_args=args, info=info)
        out["no code cache (cache miss; Kiln's flags)"] = dict(info, spans=parse_spans(text), ready=kiln_worker_ready_ms(text))
        boots = [("warm code cache", cache, False, None)]
        if kiln_reads_env(kiln, "KILN_V8_FLAGS"):
            boots.append(("no code cache, KILN_V8_FLAGS=--wasm-dynamic-tiering (V8's default tiering)",
                          tempfile.mkdtemp(dir=work), True, "--wasm-dynamic-tiering"))
        for label, cache_dir, no_cache, flags in boots:
            server = Server("kiln", free_port(), kiln=kiln, cache_dir=cache_dir, no_cache=no_cache,
                            share_dir=share, extra_args=args, v8_flags=flags).start()
            try:
                t, accept = server.wait_ready()
                cpu, threads = process_cpu_ms(server.proc.pid), thread_cpu_ms(server.proc.pid)
                time.sleep(0.2)
            finally:
                server.stop()
            text = server.output()
            server.cleanup()
            out[label] = {"ms": t * 1000, "accept_ms": accept * 1000, "cpu_ms": cpu, "thread_cpu_ms": threads,
                          "spans": parse_spans(text), "ready": kiln_worker_ready_ms(text)}
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def summarize_spans(spans):
    lines = []
    for label, d in spans.items():
        threads = ", ".join(f"{k} {v:.0f}" for k, v in sorted(d["thread_cpu_ms"].items(), key=lambda kv: -kv[1]) if v >= 10)
        lines.append(f"Kiln boot, {label}: first 200 at {d['ms']:.0f} ms, worker ready in {d['ready'] or 0:.0f} ms, "
                     f"CPU {d['cpu_ms']:.0f} ms ({threads}):")
        lines.append("")
        lines.append("| phase (nested phases run inside `pyodide runtime`) | starts at ms | ms |")
        lines.append("|---|---|---|")
        for name, start, dur in sorted(d["spans"], key=lambda it: it[1]):
            lines.append(f"| {name} | {start:.0f} | {dur:.0f} |")
        lines.append("")
    return "\n".join(lines)


# --- 4. per-request cost inside one isolate ---------------------------------------------------

DISPATCH = os.path.join(BENCH, "diag", "dispatch.mjs")
SDK = os.path.join(REPO, "resources", "python")


def bench_dispatch(kiln, quick):
    """Runs bench/diag/dispatch.mjs under `kiln js` and under node, one after the other."""
    share_pyodide = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(kiln))), "share", "kiln", "pyodide")
    sdk_files = []
    for root, dirs, files in os.walk(SDK):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for f in sorted(files):
            if f.endswith(".py"):
                path = os.path.join(root, f)
                sdk_files.append([os.path.relpath(path, SDK), path])
    work = tempfile.mkdtemp(prefix="kiln-bench-dispatch-")
    results = {}
    try:
        for name, pyodide_dir in (("kiln", share_pyodide), ("peer", PYODIDE)):
            cfg = {
                "pyodideDir": pyodide_dir,
                "sdkFiles": sdk_files,
                "projectFiles": [["/session/src/entry.py", os.path.join(PROJECT, "src", "entry.py")]],
                "importRoot": "/session/src",
                "mainModule": "src/entry.py",
                "settleMs": 10000,  # Kiln tiers all wasm up to TurboFan in the background
                "rounds": 5 if quick else 11,
                "perRound": 300 if quick else 1000,
            }
            wrapper = os.path.join(work, f"{name}.mjs")
            with open(wrapper, "w") as f:
                f.write(f"globalThis.__benchConfig = {json.dumps(cfg)};\nawait import({json.dumps(DISPATCH)});\n")
            argv = [kiln, "js", wrapper] if name == "kiln" else ["node", wrapper]
            out = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=REPO)
            m = re.search(r"^BENCH-DISPATCH (.*)$", out.stdout, re.M)
            if not m:
                raise RuntimeError(f"{' '.join(argv)} failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
            results[name] = json.loads(m.group(1))
            r = results[name]["results"]
            log(f"  {name:5s} " + "  ".join(f"{step} {v['median_us']:.0f} us" for step, v in r.items()))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def summarize_dispatch(results, throughput=None):
    labels = {
        "web": "`new Request` + `new Response(\"Hello\")` + `arrayBuffer()` (JS only)",
        "requestWithHeaders": "`new Request(url, {method, headers: [2 pairs]})` (JS only)",
        "walkHeaders": "`new Response(\"Hello\")` + iterate its headers (JS only)",
        "readBodyStream": "`new Response(\"Hello\").body.getReader()` read to the end (JS only)",
        "ffi": "await a trivial `async def` (JS -> Python -> JS)",
        "fetch": "the hello handler as `serveExchange` starts it (`fetch_starter`) + its body's bytes",
        "serve": "the same as `serveExchange` does it: request headers, response headers, body via a stream reader",
    }
    lines = ["| step (per call) | Kiln (`kiln js`) us, median / best round | peer (node) us, median / best round | Kiln/peer (median) |",
             "|---|---|---|---|"]
    for step, label in labels.items():
        k, p = results["kiln"]["results"][step], results["peer"]["results"][step]
        lines.append(f"| {label} | {k['median_us']:.0f} / {k['min_us']:.0f} | {p['median_us']:.0f} / {p['min_us']:.0f} | "
                     f"{k['median_us'] / p['median_us']:.2f} |")
    if throughput:
        k = 1e6 / throughput[("kiln", 1, 1)]["rps"]
        p = 1e6 / throughput[("peer", 1, 1)]["rps"]
        lines.append(f"| for comparison: one request under `wrk -t1 -c1` (1 / requests/s) | {k:.0f} | {p:.0f} | {k / p:.2f} |")
        # For the peer, `fetch` is what server.mjs does per request.
        kf, pf = results["kiln"]["results"]["serve"]["median_us"], results["peer"]["results"]["fetch"]["median_us"]
        lines.append(f"| difference: HTTP server, host ops, threads, event loop (wrk -c1 minus `serve` for Kiln, minus `fetch` for the peer, which serves that way) | {k - kf:.0f} | {p - pf:.0f} | {(k - kf) / (p - pf):.2f} |")
    return "\n".join(lines)


# --- main ------------------------------------------------------------------------------------

def busy_processes():
    """Processes using >= 5% CPU over a 1 s sample (top's second iteration)."""
    try:
        out = subprocess.run(["top", "-b", "-n2", "-d1", "-w", "200"], capture_output=True, text=True).stdout
    except OSError:
        return []
    block = out.split("\ntop -")[-1].splitlines()
    rows, seen_header = [], False
    for line in block:
        fields = line.split()
        if fields[:1] == ["PID"]:
            seen_header = True
            continue
        if seen_header and len(fields) >= 12:
            try:
                cpu = float(fields[8])
            except ValueError:
                continue
            if cpu >= 5.0:
                rows.append(f"{fields[11]} {cpu:.0f}%")
    return rows[:8]


def snapshot_kiln(kiln, dest):
    """Copies the kiln binary (bin/kiln; in builds that have it, the launcher, with the CLI it
    starts in libexec), the libraries the CLI's run path names (lib/kiln: libnode and c-ares)
    and its share dir (share/kiln) so that a rebuild of the shared tree during the run cannot
    swap or delete them under the bench."""
    prefix = os.path.dirname(os.path.dirname(os.path.abspath(kiln)))
    os.makedirs(os.path.join(dest, "bin"))
    copy = os.path.join(dest, "bin", "kiln")
    shutil.copy2(kiln, copy)
    for part in (("libexec",), ("lib", "kiln"), ("share", "kiln")):
        if os.path.isdir(os.path.join(prefix, *part)):
            shutil.copytree(os.path.join(prefix, *part), os.path.join(dest, *part))
    if subprocess.run([copy, "--version"], capture_output=True).returncode != 0:
        sys.exit(f"bench: the copy of {kiln} does not run (caught mid-build?)")
    mtime = datetime.datetime.fromtimestamp(os.path.getmtime(kiln)).isoformat(timespec="seconds")
    log(f"kiln: {kiln} (built {mtime}), run from a copy in {dest}")
    return copy


def machine_line():
    load = os.getloadavg()
    return (f"{datetime.datetime.now().astimezone().isoformat(timespec='seconds')} · {platform.node()} · "
            f"{os.cpu_count()} cores · load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: 3 cold starts each, 3 s wrk, 1 s warm-up")
    ap.add_argument("--runs", type=int, help="cold starts per setup (default 10, quick 3)")
    ap.add_argument("--duration", type=int, help="seconds per wrk run (default 10, quick 3)")
    ap.add_argument("--rounds", type=int, help="wrk runs per setup, median reported (default 3, quick 1)")
    ap.add_argument("--only", choices=["coldstart", "reload", "throughput", "spans", "dispatch", "handlers"],
                    help="run one bench")
    ap.add_argument("--wrangler", action="store_true", help="handlers: add wrangler dev as a second peer")
    ap.add_argument("--no-spans", action="store_true", help="skip the Kiln boot-span breakdown")
    ap.add_argument("--kiln", default=os.environ.get("KILN", DEFAULT_KILN), help="kiln binary")
    ap.add_argument("--json", help="also write the raw results here")
    args = ap.parse_args()
    runs = args.runs or (3 if args.quick else 10)
    duration = args.duration or (3 if args.quick else 10)
    warmup = 1 if args.quick else 2
    rounds = args.rounds or (1 if args.quick else 3)

    for tool in (args.kiln, "node", "wrk"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} not found")
    if not os.path.exists(os.path.join(PYODIDE, "pyodide.mjs")):
        sys.exit(f"bench: Pyodide npm package missing at {PYODIDE}")

    snapshot = tempfile.mkdtemp(prefix="kiln-bench-bin-")
    atexit.register(shutil.rmtree, snapshot, True)
    args.kiln = snapshot_kiln(args.kiln, snapshot)
    versions = {
        "kiln": subprocess.run([args.kiln, "--version"], capture_output=True, text=True).stdout.strip(),
        "node": subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip(),
    }
    log(f"# Kiln benchmarks{' (quick)' if args.quick else ''}")
    log(f"start: {machine_line()}")
    log(f"busy processes at start (1 s sample): {'; '.join(busy_processes()) or 'none'}")
    log(f"{versions['kiln']}, node {versions['node']}, Pyodide {json.load(open(os.path.join(PYODIDE, 'package.json')))['version']}")
    log()
    report = {"quick": args.quick, "versions": versions, "start": machine_line()}
    started = time.time()

    want = lambda name: args.only in (None, name)
    thr = None
    if want("coldstart"):
        log(f"## 1. Cold start: spawn -> first complete HTTP 200 on GET / ({runs} runs each)")
        cold = bench_coldstart(args.kiln, runs)
        table, kiln_cache_med = summarize_coldstart(cold)
        log()
        log(table)
        log()
        verdict = "MET" if kiln_cache_med < 1600 else "MISSED"
        log(f"target: Kiln cold start with code cache < 1600 ms: {verdict} (median {kiln_cache_med:.0f} ms)")
        log()
        report["coldstart"] = cold

    if want("reload"):
        log(f"## 1b. Reload after a one-line edit, and the second start after a 5 s first run ({runs} each)")
        rel = bench_reload(args.kiln, runs)
        log()
        log(summarize_reload(rel))
        log()
        report["reload"] = rel

    if want("throughput"):
        log(f"## 2. Warm throughput and latency (wrk, {rounds} x {duration} s per setup, each after a {warmup} s warm-up)")
        thr = bench_throughput(args.kiln, duration, warmup, rounds)
        log()
        log(summarize_throughput(thr))
        log()
        ok = all(r["handler_ran_per_request"] for r in thr.values())
        errors = sum(r["errors"] for r in thr.values())
        log(f"check: the Python handler ran at least once per request wrk counted, on every run: {'yes' if ok else 'NO'}; "
            f"socket errors + non-2xx answers: {errors}")
        worst = min(thr[("kiln", t, c)]["rps"] / thr[("peer", t, c)]["rps"] for t, c in ((1, 1), (2, 32)))
        log(f"target: Kiln throughput >= peer's: {'MET' if worst >= 1 else 'MISSED'} (lowest Kiln/peer ratio {worst:.2f})")
        log()
        report["throughput"] = {f"{k[0]} -t{k[1]} -c{k[2]}": v for k, v in thr.items()}

    if want("spans") and not args.no_spans:
        log("## 3. Where Kiln's boot time goes (resources/js/worker.mjs phases, one boot each)")
        log()
        spans = bench_spans(args.kiln)
        if spans is None:
            log("(worker.mjs has changed shape; span logging not available)")
        else:
            log(summarize_spans(spans))
            report["spans"] = spans

    if want("dispatch"):
        log("## 4. Per-request cost inside one isolate, no HTTP (bench/diag/dispatch.mjs)")
        disp = bench_dispatch(args.kiln, args.quick)
        log()
        log(summarize_dispatch(disp, thr))
        log()
        report["dispatch"] = disp

    if want("handlers"):
        log("## 5. Handlers: one KV get, one D1 point select, a JSON API (bench/handlers.py)")
        # Its own process, as when run alone; its lines go to this run's output as they come.
        cmd = [sys.executable, os.path.join(BENCH, "handlers.py"), "--kiln", args.kiln,
               "--duration", str(max(3, duration // 2))] + (["--wrangler"] if args.wrangler else [])
        if args.json:
            cmd += ["--json", os.path.splitext(args.json)[0] + "-handlers.json"]
        if subprocess.run(cmd).returncode != 0:
            log("(bench/handlers.py failed: see above)")
        log()

    log(f"end: {machine_line()}  ({time.time() - started:.0f} s)")
    log(f"busy processes at end: {'; '.join(busy_processes()) or 'none'}")
    report["end"] = machine_line()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1, default=str)


if __name__ == "__main__":
    main()
