#!/usr/bin/env bash
# Benchmarks `cargo mcp-secure new` and the generated server, side by side in one run:
#  1. render wall time of `new` (hyperfine, release build);
#  2. start-up time of the generated `secure` server (spawn to initialize result);
#  3. per-call latency through the choke point against the same server whose `call_tool`
#     dispatches straight to the tool router (the choke point removed): `echo` (no kits), the
#     cheapest call there is, in five settings (below), and `read_file` of a 2 KiB file (kit
#     files), a call that does some real work, in two;
#  4. server-side instructions per call of echo under callgrind, which load does not move.
# In every run the client starts all the servers and sends call i to each in turn, so slow
# and fast moments of the machine hit them alike (scripts/mcp_timing.py --server).
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
#   free-file    unpinned, a file the server writes (the setting of the first measurements);
#   free-pipe    unpinned, the pipe: what a deployment on this machine would see.
# The unpinned settings include the cross-CPU wake-ups, so their runs spread widely.
#
# Usage: scripts/bench-new.sh [RUNS]   (needs hyperfine, python3, taskset; valgrind for step 4)
# Servers: `without` (the choke point removed), `with` (as generated, every audit record written
# to stderr before its reply), and with PREVIOUS_TOOL=/path/to/an/older/cargo-mcp-secure,
# `previous`, the `secure` server that binary generates.
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

echo "== generated servers: with and without the choke point"
roles=(without with)
[ -n "${PREVIOUS_TOOL:-}" ] && roles+=(previous)
# make_servers KITS NAME: generates and builds NAME-with, NAME-without (and NAME-previous) in
# $work, and writes each role's config, $work/NAME-ROLE.toml.
make_servers() {
  local kits=$1 name=$2
  "$tool" new "$work/$name-with" --yes --vcs none --no-workspace --kits "$kits" >/dev/null 2>&1
  cp -r "$work/$name-with" "$work/$name-without"
  sed -i "s/^name = \"$name-with\"/name = \"$name-without\"/" "$work/$name-without/Cargo.toml" "$work/$name-without/Cargo.lock"
  # The only change: call_tool dispatches straight to the router.
  sed -i 's|Box::pin(choke_point::call(self, request, context)).await|self.router.call(rmcp::handler::server::tool::ToolCallContext::new(self, request, context)).await|' \
    "$work/$name-without/src/server.rs"
  grep -q 'self.router.call(' "$work/$name-without/src/server.rs" || { echo "could not remove the choke point" >&2; exit 2; }
  if [ -n "${PREVIOUS_TOOL:-}" ]; then
    "$PREVIOUS_TOOL" new "$work/$name-previous" --yes --vcs none --no-workspace --kits "$kits" >/dev/null 2>&1
  fi
  for role in "${roles[@]}"; do
    printf 'enable_dangerous_operations = false\n[limits]\ncalls_per_minute = 100000\n' > "$work/$name-$role.toml"
    if [ "$kits" = files ]; then
      printf '[files]\nroots = ["%s"]\nmax_read_bytes = 1048576\nmax_write_bytes = 1048576\nmax_list_entries = 1000\n' \
        "$work/data" >> "$work/$name-$role.toml"
    fi
    (cd "$work/$name-$role" && cargo build --release --locked --quiet 2>/dev/null) || { echo "cannot build $name-$role" >&2; exit 2; }
  done
}
make_servers none echo
make_servers files files
mkdir -p "$work/data"
# A 2 KiB text file: read_file opens it inside the root and returns it.
python3 -c 'print(("The quick brown fox jumps over the lazy dog. " * 46)[:2047])' > "$work/data/notes.txt"

export API_TOKEN=bench-token-not-secret
cpu=${BENCH_CPU:-0}
# measure NAME SETTING TOOL ARGS: paired runs of NAME-{without,with,previous}, then medians.
measure() {
  local name=$1 setting=$2 tool_name=$3 args=$4 pin=(taskset -c "$cpu") servers=()
  [ "${setting%%-*}" = free ] && pin=()
  for role in "${roles[@]}"; do
    servers+=(--server "$role=$CARGO_TARGET_DIR/release/$name-$role --config $work/$name-$role.toml")
  done
  local rows=$work/rows.$name.$setting.txt
  for i in $(seq 1 "$runs"); do
    "${pin[@]}" python3 scripts/mcp_timing.py --tool "$tool_name" --args "$args" --calls "${CALLS:-1000}" --runs 1 \
      --stderr "${setting#*-}" "${servers[@]}" >> "$rows"
  done
  echo "-- $tool_name, $setting ($runs paired runs of ${CALLS:-1000} calls per server)"
  python3 scripts/mcp_timing.py --summarize "$rows"
}
for setting in pinned-null pinned-file pinned-pipe free-file free-pipe; do
  measure echo "$setting" echo '{"text":"hello"}'
done
for setting in pinned-file free-pipe; do
  measure files "$setting" read_file '{"path":"notes.txt"}'
done

# Instruction counts do not depend on machine load: the server's instructions per call, from
# the difference between a 1200-call and a 200-call run under callgrind (start-up cancels out).
if command -v valgrind >/dev/null; then
  echo "== instructions per call of echo (callgrind, server side)"
  for role in "${roles[@]}"; do
    for n in 200 1200; do
      python3 scripts/mcp_timing.py --tool echo --args '{"text":"hello"}' --calls "$n" --runs 1 -- \
        valgrind --tool=callgrind --callgrind-out-file="$work/cg.$role.$n" \
        "$CARGO_TARGET_DIR/release/echo-$role" --config "$work/echo-$role.toml" >/dev/null 2>&1
    done
    a=$(grep -m1 '^summary:' "$work/cg.$role.1200" | cut -d' ' -f2)
    b=$(grep -m1 '^summary:' "$work/cg.$role.200" | cut -d' ' -f2)
    echo "$role $(( (a - b) / 1000 )) instructions per call"
  done
fi
