#!/usr/bin/env bash
# Benchmarks `cargo mcp-secure check` (not a test): side by side with semgrep running
# equivalent rules (scripts/bench-semgrep.yml; also the older 4-rule subset) and with a bare
# syn parse of the same files (examples/parse_only.rs), on one large crate; and `check` alone
# on a generated project.
# Prints medians and writes hyperfine's JSON to target/bench-check/.
#
#   scripts/bench-check.sh                 # tokio from ~/.cargo/registry
#   TREE=/path/to/crate RUNS=20 scripts/bench-check.sh
#
# Needs hyperfine (apt-get install hyperfine) and semgrep (pip install semgrep). semgrep runs
# with --metrics=off --disable-version-check, without which it stalls for minutes offline.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-10}
SEMGREP_RUNS=${SEMGREP_RUNS:-5}
if [[ -z "${TREE:-}" ]]; then
  TREE=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/tokio-1.* 2>/dev/null | sort -V | tail -1 || true)
fi
if [[ -z "${TREE:-}" || ! -f "$TREE/Cargo.toml" || ! -d "$TREE/src" ]]; then
  echo "error: no crate to measure; set TREE to a crate folder with a Cargo.toml and src/ (e.g. tokio from ~/.cargo/registry/src)" >&2
  exit 2
fi
for tool in hyperfine semgrep; do
  command -v "$tool" >/dev/null || { echo "error: $tool is not installed; see the header of this script" >&2; exit 2; }
done

cargo build --release --quiet --bin cargo-mcp-secure --example parse_only
BIN=$PWD/target/release/cargo-mcp-secure
PARSE=$PWD/target/release/examples/parse_only
OUT=$PWD/target/bench-check
mkdir -p "$OUT"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# A generated project; if `new` cannot generate one in this build, the tools fixture stands in.
GEN="$WORK/bench-secure"
if "$BIN" new "$GEN" --yes --vcs none --no-workspace --template secure --kits all >/dev/null 2>"$WORK/new.err"; then
  GEN_LABEL="generated secure project (--kits all)"
else
  echo "note: \`new\` failed ($(head -1 "$WORK/new.err")); measuring tests/fixtures/check-cli/tools instead" >&2
  cp -r tests/fixtures/check-cli/tools "$GEN"
  GEN_LABEL="tests/fixtures/check-cli/tools (stand-in: new failed)"
fi

FILES=$(find "$TREE/src" -name '*.rs' | wc -l)
echo "tree: $TREE ($FILES .rs files under src/)" >&2
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

hyperfine -N -i --warmup 2 --runs "$RUNS" --export-json "$OUT/tree.json" \
  -n check "$BIN check --ci --format json --manifest-path $TREE/Cargo.toml" \
  -n parse_only "$PARSE $TREE/src"
hyperfine -N -i --warmup 1 --runs "$SEMGREP_RUNS" --export-json "$OUT/semgrep.json" \
  -n semgrep "semgrep scan --metrics=off --disable-version-check --quiet --config scripts/bench-semgrep.yml $TREE/src" \
  -n semgrep-subset "semgrep scan --metrics=off --disable-version-check --quiet --config scripts/bench-semgrep-subset.yml $TREE/src"
hyperfine -N -i --warmup 3 --runs "$((RUNS * 3))" --export-json "$OUT/generated.json" \
  -n check-generated "$BIN check --ci --format json --manifest-path $GEN/Cargo.toml"

python3 - "$OUT" "$GEN_LABEL" <<'EOF'
import json, sys, os
out, gen = sys.argv[1], sys.argv[2]
m = {}
for name in ("tree", "semgrep", "generated"):
    for r in json.load(open(os.path.join(out, name + ".json")))["results"]:
        m[r["command"]] = r["median"] * 1000
print(f"| what | median |")
print(f"| --- | --- |")
print(f"| check, large tree | {m['check']:.0f} ms |")
print(f"| bare syn parse, same files | {m['parse_only']:.0f} ms |")
print(f"| semgrep, equivalent rules (25, scripts/bench-semgrep.yml), same files | {m['semgrep']:.0f} ms |")
print(f"| semgrep, 4-rule subset (scripts/bench-semgrep-subset.yml), same files | {m['semgrep-subset']:.0f} ms |")
print(f"| check, {gen} | {m['check-generated']:.0f} ms |")
print()
print(f"check vs semgrep: {m['semgrep'] / m['check']:.1f}x faster (target >= 30x)")
print(f"check vs semgrep with the 4-rule subset: {m['semgrep-subset'] / m['check']:.1f}x faster")
print(f"check vs bare parse: {m['check'] / m['parse_only']:.2f}x the time (target <= 2x)")
print(f"check on the small project: {m['check-generated']:.0f} ms (target < 100 ms)")
EOF
