#!/usr/bin/env python3
"""Measures an MCP stdio server: start-up time (spawn to initialize result) and the latency of
N sequential tools/call requests to one tool. Prints one JSON object.

usage: mcp_timing.py --tool NAME --args JSON --calls N [--runs R] [--stderr file|pipe|null] -- CMD [ARGS...]
       mcp_timing.py --summarize FILE   (lines "LABEL JSON"; compares labels `with` and `without`)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def rpc(proc, msg):
    proc.stdin.write((json.dumps(msg) + "\n").encode())
    proc.stdin.flush()


def read_response(proc, want_id):
    while True:
        line = proc.stdout.readline()
        if not line:
            proc.stderr_file.seek(0)
            raise SystemExit("server closed stdout; stderr:\n" + proc.stderr_file.read().decode(errors="replace")[-2000:])
        msg = json.loads(line)
        if msg.get("id") == want_id:
            return msg


def one_run(cmd, tool, args, calls, env, stderr_to="file"):
    start = time.perf_counter()
    # The server's stderr (its audit log) is kept in a file and shown on failure. `file` hands
    # the server the file itself; `pipe` gives it a pipe that a `cat` process drains into the
    # file, as an MCP client reads a server's stderr and logs it; `null` is /dev/null, which
    # leaves only the cost of producing the log lines.
    err = tempfile.TemporaryFile()
    drain = None
    if stderr_to == "pipe":
        drain = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=err)
        target = drain.stdin
    elif stderr_to == "null":
        target = subprocess.DEVNULL
    else:
        target = err
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=target, env=env)
    if drain is not None:
        drain.stdin.close()
    proc.stderr_file = err
    rpc(proc, {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}})
    read_response(proc, 0)
    startup = time.perf_counter() - start
    rpc(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    latencies = []
    errors = 0
    for i in range(1, calls + 1):
        t0 = time.perf_counter()
        rpc(proc, {"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": tool, "arguments": args}})
        resp = read_response(proc, i)
        latencies.append(time.perf_counter() - t0)
        if "error" in resp or resp.get("result", {}).get("isError"):
            errors += 1
    proc.stdin.close()
    proc.wait(timeout=10)
    if drain is not None:
        drain.wait(timeout=10)
    return startup, latencies, errors


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
    if "with" in rows and "without" in rows:
        w, wo = med("with", "call_us_median"), med("without", "call_us_median")
        print("choke point per-call overhead: %.1f us (%.1f %%)" % (w - wo, (w / wo - 1) * 100))
    for label in rows:
        if label not in ("with", "without") and "without" in rows:
            other, wo = med(label, "call_us_median"), med("without", "call_us_median")
            print("%s per-call overhead: %.1f us (%.1f %%)" % (label, other - wo, (other / wo - 1) * 100))


def main():
    argv = sys.argv[1:]
    if argv[:1] == ["--summarize"]:
        return summarize(argv[1])
    if "--" not in argv:
        raise SystemExit(__doc__)
    split = argv.index("--")
    p = argparse.ArgumentParser()
    p.add_argument("--tool", required=True)
    p.add_argument("--args", default="{}")
    p.add_argument("--calls", type=int, default=200)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--stderr", choices=["file", "pipe", "null"], default="file",
                   help="where the server's stderr goes (default: a file)")
    opts = p.parse_args(argv[:split])
    cmd = argv[split + 1:]
    env = dict(os.environ)
    startups, all_lat, errors = [], [], 0
    for _ in range(opts.runs):
        s, lat, e = one_run(cmd, opts.tool, json.loads(opts.args), opts.calls, env, opts.stderr)
        startups.append(s)
        all_lat.extend(lat)
        errors += e
    all_lat.sort()
    print(json.dumps({
        "startup_ms_median": round(statistics.median(startups) * 1000, 2),
        "call_us_median": round(statistics.median(all_lat) * 1e6, 1),
        "call_us_p90": round(all_lat[int(len(all_lat) * 0.9)] * 1e6, 1),
        "calls": len(all_lat),
        "error_results": errors,
    }))


if __name__ == "__main__":
    main()
