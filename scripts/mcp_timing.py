#!/usr/bin/env python3
"""Measures MCP stdio servers: start-up time (spawn to initialize result) and the latency of
N sequential tools/call requests to one tool.

usage: mcp_timing.py --tool NAME --args JSON --calls N [--runs R] [--stderr file|pipe|null] -- CMD [ARGS...]
           prints one JSON object for the server CMD
       mcp_timing.py --tool NAME --args JSON --calls N [--runs R] [--stderr ...] --server LABEL=CMDLINE ...
           paired: starts every server, then sends call i to each of them in turn (the order
           rotating with i), so slow and fast moments of the machine hit all alike; prints one
           line "LABEL JSON" per server and run
       mcp_timing.py --summarize FILE   (lines "LABEL JSON"; compares each label with `without`)
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time


class Server:
    """One running server, its stderr sink and its start-up time."""

    def __init__(self, cmd, env, stderr_to):
        start = time.perf_counter()
        # The server's stderr (its audit log) is kept in a file and shown on failure. `file`
        # hands the server the file itself; `pipe` gives it a pipe that a `cat` process drains
        # into the file, as an MCP client reads a server's stderr and logs it; `null` is
        # /dev/null, which leaves only the cost of producing the log lines.
        self.err = tempfile.TemporaryFile()
        self.drain = None
        if stderr_to == "pipe":
            self.drain = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=self.err)
            target = self.drain.stdin
        elif stderr_to == "null":
            target = subprocess.DEVNULL
        else:
            target = self.err
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=target, env=env)
        if self.drain is not None:
            self.drain.stdin.close()
        self.send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}})
        self.receive(0)
        self.startup = time.perf_counter() - start
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        self.latencies = []
        self.errors = 0

    def send(self, msg):
        self.proc.stdin.write((json.dumps(msg) + "\n").encode())
        self.proc.stdin.flush()

    def receive(self, want_id):
        while True:
            line = self.proc.stdout.readline()
            if not line:
                self.err.seek(0)
                tail = self.err.read().decode(errors="replace")[-2000:]
                raise SystemExit("server closed stdout; stderr:\n" + tail)
            msg = json.loads(line)
            if msg.get("id") == want_id:
                return msg

    def call(self, request_id, tool, args):
        t0 = time.perf_counter()
        self.send({"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
                   "params": {"name": tool, "arguments": args}})
        resp = self.receive(request_id)
        self.latencies.append(time.perf_counter() - t0)
        if "error" in resp or resp.get("result", {}).get("isError"):
            self.errors += 1

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
        if self.drain is not None:
            self.drain.wait(timeout=10)


def report(startups, latencies, errors):
    latencies = sorted(latencies)
    return json.dumps({
        "startup_ms_median": round(statistics.median(startups) * 1000, 2),
        "call_us_median": round(statistics.median(latencies) * 1e6, 1),
        "call_us_p90": round(latencies[int(len(latencies) * 0.9)] * 1e6, 1),
        "calls": len(latencies),
        "error_results": errors,
    })


def summarize(path):
    rows = {}
    for line in open(path):
        label, data = line.split(" ", 1)
        rows.setdefault(label, []).append(json.loads(data))
    med = lambda label, key: statistics.median(r[key] for r in rows[label])
    for label, runs in rows.items():
        medians = sorted(r["call_us_median"] for r in runs)
        print("%-8s startup median %7.2f ms   call median %8.1f us (runs %.1f to %.1f)   p90 %8.1f us   runs %d   error results %d" % (
            label, med(label, "startup_ms_median"), med(label, "call_us_median"), medians[0], medians[-1],
            med(label, "call_us_p90"), len(runs), sum(r["error_results"] for r in runs)))
    if "without" not in rows:
        return
    wo = med("without", "call_us_median")
    for label in rows:
        if label == "without":
            continue
        other = med(label, "call_us_median")
        name = "choke point" if label == "with" else label
        line = "%s per-call overhead: %.1f us (%.1f %%)" % (name, other - wo, (other / wo - 1) * 100)
        # In paired runs the servers share every moment of the run, so the difference within
        # each run is the steadier figure; its spread over the runs says how far to trust it.
        if len(rows[label]) == len(rows["without"]):
            diffs = sorted(a["call_us_median"] - b["call_us_median"] for a, b in zip(rows[label], rows["without"]))
            ratios = sorted(a["call_us_median"] / b["call_us_median"] - 1 for a, b in zip(rows[label], rows["without"]))
            line += "; per run: median %.1f us (%.1f %%), middle half %.1f to %.1f %%" % (
                statistics.median(diffs), statistics.median(ratios) * 100,
                ratios[len(ratios) // 4] * 100, ratios[(3 * len(ratios)) // 4] * 100)
        print(line)


def main():
    argv = sys.argv[1:]
    if argv[:1] == ["--summarize"]:
        return summarize(argv[1])
    split = argv.index("--") if "--" in argv else len(argv)
    p = argparse.ArgumentParser()
    p.add_argument("--tool", required=True)
    p.add_argument("--args", default="{}")
    p.add_argument("--calls", type=int, default=200)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--stderr", choices=["file", "pipe", "null"], default="file",
                   help="where the server's stderr goes (default: a file)")
    p.add_argument("--server", action="append", default=[], metavar="LABEL=CMDLINE",
                   help="a server of a paired run (repeat)")
    opts = p.parse_args(argv[:split])
    cmd = argv[split + 1:]
    if bool(cmd) == bool(opts.server):
        raise SystemExit(__doc__)
    env = dict(os.environ)
    args = json.loads(opts.args)
    if cmd:
        startups, latencies, errors = [], [], 0
        for _ in range(opts.runs):
            server = Server(cmd, env, opts.stderr)
            for i in range(1, opts.calls + 1):
                server.call(i, opts.tool, args)
            server.stop()
            startups.append(server.startup)
            latencies.extend(server.latencies)
            errors += server.errors
        print(report(startups, latencies, errors))
        return
    specs = [s.split("=", 1) for s in opts.server]
    for _ in range(opts.runs):
        servers = [Server(shlex.split(cmdline), env, opts.stderr) for _, cmdline in specs]
        for i in range(1, opts.calls + 1):
            for k in range(len(servers)):
                servers[(i + k) % len(servers)].call(i, opts.tool, args)
        for server in servers:
            server.stop()
        for (label, _), server in zip(specs, servers):
            print(label, report([server.startup], server.latencies, server.errors))


if __name__ == "__main__":
    main()
