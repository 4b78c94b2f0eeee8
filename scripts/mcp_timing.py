#!/usr/bin/env python3
"""Measures an MCP stdio server: start-up time (spawn to initialize result) and the latency of
N sequential tools/call requests to one tool. Prints one JSON object.

usage: mcp_timing.py --tool NAME --args JSON --calls N [--runs R] -- CMD [ARGS...]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def rpc(proc, msg):
    proc.stdin.write((json.dumps(msg) + "\n").encode())
    proc.stdin.flush()


def read_response(proc, want_id):
    while True:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("server closed stdout; stderr:\n" + proc.stderr.read().decode(errors="replace")[-2000:])
        msg = json.loads(line)
        if msg.get("id") == want_id:
            return msg


def one_run(cmd, tool, args, calls, env):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
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
    return startup, latencies, errors


def main():
    argv = sys.argv[1:]
    if "--" not in argv:
        raise SystemExit(__doc__)
    split = argv.index("--")
    p = argparse.ArgumentParser()
    p.add_argument("--tool", required=True)
    p.add_argument("--args", default="{}")
    p.add_argument("--calls", type=int, default=200)
    p.add_argument("--runs", type=int, default=5)
    opts = p.parse_args(argv[:split])
    cmd = argv[split + 1:]
    env = dict(os.environ)
    startups, all_lat, errors = [], [], 0
    for _ in range(opts.runs):
        s, lat, e = one_run(cmd, opts.tool, json.loads(opts.args), opts.calls, env)
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
