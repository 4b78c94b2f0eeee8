#!/usr/bin/env bash
# Benchmarks `cargo mcp-secure new` and the generated server, side by side in one run:
#  1. render wall time of `new` (hyperfine, release build);
#  2. start-up time of the generated `secure` server (spawn to initialize result);
#  3. per-call latency of `tools/call echo` through the choke point against the same server
#     whose `call_tool` dispatches straight to the tool router (the choke point removed), in
#     four settings (below);
#  4. server-side instructions per call under callgrind, which machine load does not move.
# Runs alternate between the servers so machine noise hits them alike.
#
# Latency settings. On a shared VM, waking a thread or process on the other CPU costs tens of
# microseconds and varies from run to run, which drowns a few microseconds of work. So the
# first three settings pin the client, the server (all its threads) and any stderr reader to
# one CPU, where a run's latency is the sum of the work done per call; they differ only in
# where the server's stderr (the audit log) goes:
#   pinned-null  /dev/null: the cost of the choke point's own work;
#   pinned-file  a file the server writes: adds the kernel's cost of storing each audit line;
#   pinned-pipe  a pipe drained into a file by `cat`, as an MCP client reads a server's stderr
#                and logs it: adds waking that reader for every line;
#   free-pipe    the same pipe, unpinned: what a deployment on this machine would see, noisier.
#
# Usage: scripts/bench-new.sh [RUNS]   (needs hyperfine, python3, taskset; valgrind for step 4)
# PREVIOUS_TOOL=/path/to/an/older/cargo-mcp-secure adds the `secure` server that binary
# generates as a third server, `previous`, to every comparison.
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
servers=(without with)
if [ -n "${PREVIOUS_TOOL:-}" ]; then
  "$PREVIOUS_TOOL" new "$work/previous" --yes --vcs none --no-workspace --kits none >/dev/null 2>&1
  servers+=(previous)
fi
for d in "${servers[@]}"; do
  printf 'enable_dangerous_operations = false\n[limits]\ncalls_per_minute = 100000\n' > "$work/$d/bench.toml"
  (cd "$work/$d" && cargo build --release --locked --quiet 2>/dev/null)
done

export API_TOKEN=bench-token-not-secret
cpu=${BENCH_CPU:-0}
for setting in pinned-null pinned-file pinned-pipe free-pipe; do
  pin=(taskset -c "$cpu")
  [ "${setting%%-*}" = free ] && pin=()
  rows=$work/rows.$setting.txt
  for i in $(seq 1 "$runs"); do
    for d in "${servers[@]}"; do
      printf '%s ' "$d" >> "$rows"
      "${pin[@]}" python3 scripts/mcp_timing.py --tool echo --args '{"text":"hello"}' --calls "${CALLS:-1000}" --runs 1 \
        --stderr "${setting#*-}" -- "$CARGO_TARGET_DIR/release/$d" --config "$work/$d/bench.toml" >> "$rows"
    done
  done
  echo "-- $setting ($runs runs of ${CALLS:-1000} calls per server, medians)"
  python3 scripts/mcp_timing.py --summarize "$rows"
done

# Instruction counts do not depend on machine load: the server's instructions per call, from
# the difference between a 1200-call and a 200-call run under callgrind (start-up cancels out).
if command -v valgrind >/dev/null; then
  echo "== instructions per call (callgrind, server side)"
  for d in "${servers[@]}"; do
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
