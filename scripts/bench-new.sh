#!/usr/bin/env bash
# Benchmarks `cargo mcp-secure new` and the generated server, side by side in one run:
#  1. render wall time of `new` (hyperfine, release build);
#  2. start-up time of the generated `secure` server (spawn to initialize result);
#  3. per-call latency of `tools/call echo` through the choke point against the same server
#     whose `call_tool` dispatches straight to the tool router (the choke point removed).
# Runs alternate between the two servers so machine noise hits both alike.
# Usage: scripts/bench-new.sh [RUNS]   (needs hyperfine and python3)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CARGO_TARGET_DIR=${BENCH_TARGET_DIR:-$PWD/target/bench-servers}

cargo build --release --locked --quiet
tool=$CARGO_TARGET_DIR/release/cargo-mcp-secure

echo "== render: new --kits all (hyperfine)"
hyperfine --warmup 3 --runs 30 --style basic \
  --prepare "rm -rf $work/render" \
  "$tool new $work/render --yes --vcs none --no-workspace --kits all"

echo "== generated server: with and without the choke point"
"$tool" new "$work/with" --yes --vcs none --no-workspace --kits none >/dev/null 2>&1
cp -r "$work/with" "$work/without"
sed -i 's/^name = "with"/name = "without"/' "$work/without/Cargo.toml"
sed -i 's/^name = "with"/name = "without"/' "$work/without/Cargo.lock"
# The only change: call_tool dispatches straight to the router.
sed -i 's|choke_point::call(self, request, context).await|self.router.call(rmcp::handler::server::tool::ToolCallContext::new(self, request, context)).await|' \
  "$work/without/src/server.rs"
grep -q 'self.router.call(' "$work/without/src/server.rs" || { echo "could not remove the choke point" >&2; exit 2; }
for d in with without; do
  printf 'enable_dangerous_operations = false\n[limits]\ncalls_per_minute = 100000\n' > "$work/$d/bench.toml"
  (cd "$work/$d" && cargo build --release --locked --quiet 2>/dev/null)
done

export API_TOKEN=bench-token-not-secret
rows=$work/rows.txt
for i in $(seq 1 "$runs"); do
  for d in with without; do
    printf '%s ' "$d" >> "$rows"
    python3 scripts/mcp_timing.py --tool echo --args '{"text":"hello"}' --calls "${CALLS:-1000}" --runs 1 -- \
      "$CARGO_TARGET_DIR/release/$d" --config "$work/$d/bench.toml" >> "$rows"
  done
done
python3 scripts/mcp_timing.py --summarize "$rows"

# Instruction counts do not depend on machine load: the server's instructions per call, from
# the difference between a 1200-call and a 200-call run under callgrind (start-up cancels out).
if command -v valgrind >/dev/null; then
  echo "== instructions per call (callgrind, server side)"
  for d in with without; do
    for n in 200 1200; do
      python3 scripts/mcp_timing.py --tool echo --args '{"text":"hello"}' --calls "$n" --runs 1 -- \
        valgrind --tool=callgrind --callgrind-out-file="$work/cg.$d.$n" \
        "$CARGO_TARGET_DIR/release/$d" --config "$work/$d/bench.toml" >/dev/null 2>&1
    done
    a=$(grep -m1 '^summary:' "$work/cg.$d.1200" | cut -d' ' -f2)
    b=$(grep -m1 '^summary:' "$work/cg.$d.200" | cut -d' ' -f2)
    echo "$d $(( (a - b) / 1000 )) instructions per call"
  done
fi
