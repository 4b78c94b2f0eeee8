#!/usr/bin/env bash
# Regenerates templates/<name>/locks/: one Cargo.lock per distinct dependency set the template
# can render (one per kit combination and transport, deduplicated). Cargo itself computes each lock from the
# template's full lock, so optional features that a smaller set no longer activates are dropped
# exactly as cargo would drop them, and versions stay those of the full lock.
# Usage: scripts/update-template-locks.sh [TEMPLATE...]   (default: every built-in template)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
templates=("$@")
[ ${#templates[@]} -gt 0 ] || templates=(secure workshop)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --quiet --locked
tool=${CARGO_TARGET_DIR:-$root/target}/debug/cargo-mcp-secure
kits=(files sql command confirm)

render() { # template kit-list transport dest: renders inside a throw-away workspace, so no lock is written
  local ws=$work/ws
  rm -rf "$ws" && mkdir -p "$ws" && printf '[workspace]\nmembers = []\n' > "$ws/Cargo.toml"
  "$tool" new "$ws/lockgen" --yes --vcs none --template "$1" --kits "$2" --transport "$3" >/dev/null 2>&1
  rm -rf "$4" && mv "$ws/lockgen" "$4"
}

transports() { # the transport choices of a template
  python3 -c '
import sys, tomllib
t = tomllib.load(open(sys.argv[1], "rb"))
print(" ".join(t.get("variables", {}).get("transport", {}).get("choices", ["stdio"])))' "$1"
}

for t in "${templates[@]}"; do
  dir=$root/templates/$t
  full=$work/$t-full.lock
  read -r -a kinds <<<"$(transports "$dir/template.toml")"
  widest=${kinds[-1]}
  render "$t" all "$widest" "$work/full"
  if [ -d "$dir/locks" ] && ls "$dir"/locks/*.lock >/dev/null 2>&1; then
    # Start from the widest existing lock so versions do not drift.
    cp "$(ls -S "$dir"/locks/*.lock | head -1)" "$work/full/Cargo.lock"
  fi
  # cargo metadata changes the lock only as far as the manifest requires, so versions stay.
  (cd "$work/full" && cargo metadata --format-version 1 >/dev/null)
  cp "$work/full/Cargo.lock" "$full"
  out=$work/$t-locks && rm -rf "$out" && mkdir -p "$out"
  for transport in "${kinds[@]}"; do
    for mask in $(seq 0 15); do
      set_=()
      for i in 0 1 2 3; do (( mask >> i & 1 )) && set_+=("${kits[$i]}"); done
      list=$(IFS=,; echo "${set_[*]:-none}")
      render "$t" "$list" "$transport" "$work/sub"
      cp "$full" "$work/sub/Cargo.lock"
      (cd "$work/sub" && cargo metadata --format-version 1 >/dev/null)
      sum=$(sha256sum "$work/sub/Cargo.lock" | cut -c1-12)
      cp "$work/sub/Cargo.lock" "$out/$sum.lock"
    done
  done
  rm -rf "$dir/locks" && mkdir -p "$dir/locks"
  n=0
  for f in "$out"/*.lock; do
    n=$((n + 1))
    deps=$(python3 -c '
import sys, tomllib
lock = tomllib.load(open(sys.argv[1], "rb"))
root = [p for p in lock["package"] if "source" not in p][0]
print("+".join(sorted(d.split(" ")[0] for d in root.get("dependencies", []))))' "$f" | sha256sum | cut -c1-8)
    cp "$f" "$dir/locks/deps-$deps.lock"
  done
  echo "$t: $n lock files for 16 kit combinations x ${#kinds[@]} transport(s)"
done
