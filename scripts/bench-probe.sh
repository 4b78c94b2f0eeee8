#!/usr/bin/env bash
# Median wall time of `cargo mcp-secure probe` against a 10-tool fixture server.
# Usage: scripts/bench-probe.sh [RUNS]   (release build; hyperfine when installed)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
cargo build --release --quiet
bin="$PWD/target/release/cargo-mcp-secure"
fixture="$PWD/tests/fixtures/probe/bench10.py"
cmd="$bin probe --format json -- python3 $fixture"
echo "tools listed: $($bin probe --format json -- python3 "$fixture" 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["tools"]), "tools,", d["calls"], "calls,", len(d["findings"]), "findings")')"
if command -v hyperfine >/dev/null; then
  hyperfine --warmup 1 --runs "$runs" -i --export-json /tmp/bench-probe.json "$cmd" >&2
  python3 -c 'import json; r = json.load(open("/tmp/bench-probe.json"))["results"][0]; print("median %.3f s, min %.3f s, max %.3f s over %d runs" % (r["median"], r["min"], r["max"], len(r["times"])))'
else
  times=()
  for _ in $(seq "$runs"); do
    start=$(date +%s%N); $cmd >/dev/null 2>&1 || true; end=$(date +%s%N)
    times+=("$(( (end - start) / 1000000 ))")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median %.3f s over %d runs\n", a[int((NR+1)/2)]/1000, NR}'
fi
