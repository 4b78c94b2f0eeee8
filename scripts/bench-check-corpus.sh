#!/usr/bin/env bash
# Runs `cargo mcp-secure check` on every entry of the real-code corpus and scores it against labels.
#
#   cargo build --release --locked
#   scripts/fetch-check-corpus.sh
#   scripts/bench-check-corpus.sh                 # TOOL defaults to target/release/cargo-mcp-secure
#   TOOL=/path/to/cargo-mcp-secure CORPUS_DIR=/tmp/corpus scripts/bench-check-corpus.sh
#
# Writes $OUT_DIR (default $CORPUS_DIR/results): <entry>.json and <entry>.stderr per entry,
# findings.tsv (every finding of every entry) and joined.tsv (findings with their label).
# Prints, per entry and in total: the run's exit code, fail-severity findings labelled true / false /
# unlabelled, fail precision over the labelled ones, and which flaws of scripts/corpus-flaws.tsv check
# reports (a finding of the same item in the same file within $FLAW_LINES lines, any severity).
# A finding's `rule` is read when the JSON has one; labels may name a rule or leave it empty.
# Never builds or runs corpus code: `check` only reads it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
tool=${TOOL:-$root/target/release/cargo-mcp-secure}
corpus_file=${CORPUS_FILE:-$here/corpus.toml}
corpus_dir=${CORPUS_DIR:-/work/corpus}
out_dir=${OUT_DIR:-$corpus_dir/results}
labels=${LABELS:-$here/corpus-labels.tsv}
flaws=${FLAWS:-$here/corpus-flaws.tsv}
flaw_lines=${FLAW_LINES:-5}
label_lines=${LABEL_LINES:-3}

[[ -x $tool ]] || { echo "no check binary at $tool: run cargo build --release --locked or set TOOL" >&2; exit 2; }
tool=$(realpath "$tool")
mkdir -p "$out_dir"

# name|package1,package2 per entry.
mapfile -t entries < <(python3 - "$corpus_file" <<'EOF'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    data = tomllib.load(f)
for e in data["entry"]:
    print(e["name"] + "|" + ",".join(e.get("package", [])))
EOF
)

echo "check: $tool ($("$tool" mcp-secure --version 2>/dev/null || echo unknown version))" >&2
: >"$out_dir/runs.tsv"
for line in "${entries[@]}"; do
  name=${line%%|*} packages=${line#*|}
  dir=$corpus_dir/$name
  if [[ ! -f $dir/Cargo.toml ]]; then
    echo "$name: not materialised in $corpus_dir (run scripts/fetch-check-corpus.sh)" >&2
    printf '%s\tmissing\t0\n' "$name" >>"$out_dir/runs.tsv"
    continue
  fi
  # The real path, not the link: cargo finds a workspace root by walking up from the manifest.
  args=(mcp-secure check --ci --format json --manifest-path "$(realpath "$dir/Cargo.toml")")
  if [[ -n $packages ]]; then
    IFS=, read -r -a pkgs <<<"$packages"
    for p in "${pkgs[@]}"; do args+=(-p "$p"); done
  fi
  start=$(date +%s%N)
  rc=0
  # `check` runs from a neutral folder so no rust-toolchain.toml or .cargo/config of ours applies.
  (cd / && "$tool" "${args[@]}") >"$out_dir/$name.json" 2>"$out_dir/$name.stderr" || rc=$?
  ms=$((($(date +%s%N) - start) / 1000000))
  printf '%s\t%s\t%s\n' "$name" "$rc" "$ms" >>"$out_dir/runs.tsv"
done

TOOL_PATH=$tool python3 - "$out_dir" "$labels" "$flaws" "$flaw_lines" "$label_lines" <<'EOF'
import csv, json, os, sys

out_dir, labels_path, flaws_path = sys.argv[1], sys.argv[2], sys.argv[3]
flaw_lines, label_lines = int(sys.argv[4]), int(sys.argv[5])

def read_tsv(path):
    """Rows of a TSV with a header line; lines starting with # are comments."""
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        lines = [l for l in f if l.strip() and not l.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))

runs = []
with open(os.path.join(out_dir, "runs.tsv")) as f:
    for row in f:
        name, rc, ms = row.rstrip("\n").split("\t")
        runs.append((name, rc, int(ms)))

findings = []
problems = {}
for name, rc, _ in runs:
    path = os.path.join(out_dir, name + ".json")
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        err = ""
        try:
            with open(os.path.join(out_dir, name + ".stderr")) as f:
                err = " ".join(f.read().split())[:200]
        except OSError:
            pass
        problems[name] = f"exit {rc}, no JSON report: {err or 'no stderr'}"
        continue
    notes = data.get("notes", [])
    if notes:
        problems[name] = f"{len(notes)} note(s), e.g. {notes[0].get('file', '')}: {notes[0].get('message', '')[:120]}"
    for fd in data.get("findings", []):
        findings.append({
            "entry": name,
            "file": fd.get("file") or "",
            "line": int(fd.get("line") or 0),
            "item": fd.get("id") or fd.get("item") or "",
            "rule": fd.get("rule") or "",
            "severity": fd.get("severity") or "",
            "message": " ".join((fd.get("message") or "").split()),
        })

cols = ["entry", "file", "line", "item", "rule", "severity", "message"]
with open(os.path.join(out_dir, "findings.tsv"), "w") as f:
    f.write("\t".join(cols) + "\n")
    for fd in findings:
        f.write("\t".join(str(fd[c]) for c in cols) + "\n")

labels = read_tsv(labels_path)
used = set()

def label_of(fd):
    """The label written for this finding: same entry, file, item (and rule when the label names one),
    line within label_lines, and the label's message fragment inside the message. Nearest line wins."""
    best = None
    for i, lb in enumerate(labels):
        if (lb["entry"], lb["file"], lb["item"]) != (fd["entry"], fd["file"], fd["item"]):
            continue
        if lb.get("rule") and fd["rule"] and lb["rule"] != fd["rule"]:
            continue
        if lb["fragment"] and lb["fragment"] not in fd["message"]:
            continue
        distance = abs(int(lb["line"]) - fd["line"])
        if distance <= label_lines and (best is None or distance < best[0]):
            best = (distance, i)
    if best is None:
        return None
    used.add(best[1])
    return labels[best[1]]

with open(os.path.join(out_dir, "joined.tsv"), "w") as f:
    f.write("\t".join(cols + ["verdict", "reason"]) + "\n")
    for fd in findings:
        lb = label_of(fd)
        fd["verdict"] = lb["verdict"] if lb else "unlabelled"
        f.write("\t".join(str(fd[c]) for c in cols) + f"\t{fd['verdict']}\t{lb['reason'] if lb else ''}\n")

def tally(rows):
    t = {"true": 0, "false": 0, "unlabelled": 0}
    for r in rows:
        t[r["verdict"] if r["verdict"] in t else "unlabelled"] += 1
    return t

def precision(t):
    labelled = t["true"] + t["false"]
    return f"{100 * t['true'] / labelled:.1f} %" if labelled else "n/a"

print(f"{'entry':28} {'exit':>4} {'ms':>6} {'fail':>5} {'true':>5} {'false':>5} {'unlab':>5} {'prec':>8} {'warn':>5} {'w-true':>6} {'w-false':>7}")
total_fail, total_warn = [], []
for name, rc, ms in runs:
    mine = [fd for fd in findings if fd["entry"] == name]
    fail = [fd for fd in mine if fd["severity"] == "fail"]
    warn = [fd for fd in mine if fd["severity"] == "warn"]
    total_fail += fail
    total_warn += warn
    tf, tw = tally(fail), tally(warn)
    print(f"{name:28} {rc:>4} {ms:>6} {len(fail):>5} {tf['true']:>5} {tf['false']:>5} {tf['unlabelled']:>5} "
          f"{precision(tf):>8} {len(warn):>5} {tw['true']:>6} {tw['false']:>7}")
tf, tw = tally(total_fail), tally(total_warn)
print(f"{'TOTAL':28} {'':>4} {'':>6} {len(total_fail):>5} {tf['true']:>5} {tf['false']:>5} {tf['unlabelled']:>5} "
      f"{precision(tf):>8} {len(total_warn):>5} {tw['true']:>6} {tw['false']:>7}")
print(f"fail-severity precision: {precision(tf)} ({tf['true']} true of {tf['true'] + tf['false']} labelled, "
      f"{tf['unlabelled']} unlabelled); warn precision: {precision(tw)}")
# Per rule, over every severity: how often its labelled findings are real, beside the
# precision the rule declares (`list --rules`), so a declared `high` can be checked.
declared = {}
try:
    import subprocess
    out = subprocess.run([os.environ["TOOL_PATH"], "mcp-secure", "list", "--rules", "--format", "json"],
                         capture_output=True, text=True, check=True).stdout
    declared = {r["rule"]: r["precision"] for r in json.loads(out)}
except (KeyError, OSError, ValueError, subprocess.CalledProcessError):
    pass
by_rule = {}
for fd in findings:
    by_rule.setdefault(fd["rule"] or fd["item"], []).append(fd)
print(f"\n{'rule':36} {'declared':>8} {'found':>5} {'true':>5} {'false':>5} {'unlab':>5} {'prec':>8}")
for rule in sorted(by_rule):
    t = tally(by_rule[rule])
    if t["true"] + t["false"] == 0:
        continue
    print(f"{rule:36} {declared.get(rule, '?'):>8} {len(by_rule[rule]):>5} {t['true']:>5} {t['false']:>5} "
          f"{t['unlabelled']:>5} {precision(t):>8}")
for name, why in problems.items():
    print(f"not fully analysed: {name}: {why}")
stale = [lb for i, lb in enumerate(labels) if i not in used]
if stale:
    print(f"{len(stale)} label(s) match no finding now (fixed false positives, or moved findings):")
    for lb in stale:
        print(f"  {lb['verdict']:5} {lb['entry']} {lb['file']}:{lb['line']} {lb['item']} «{lb['fragment']}»")

flaws = read_tsv(flaws_path)
if flaws:
    found = found_fail = 0
    print(f"\nflaws found by reading the code ({len(flaws)}): reported = a finding of the same item in the same "
          f"file within {flaw_lines} lines")
    for fl in flaws:
        line = int(fl["line"])
        near = [fd for fd in findings
                if (fd["entry"], fd["file"], fd["item"]) == (fl["entry"], fl["file"], fl["item"])
                and abs(fd["line"] - line) <= flaw_lines]
        sev = "fail" if any(fd["severity"] == "fail" for fd in near) else ("warn" if near else "-")
        found += bool(near)
        found_fail += sev == "fail"
        print(f"  {sev:4} {fl['entry']} {fl['file']}:{fl['line']} {fl['item']}: {fl['description']}")
    print(f"flaw recall: {found}/{len(flaws)} reported ({100 * found / len(flaws):.1f} %), "
          f"{found_fail}/{len(flaws)} at fail severity ({100 * found_fail / len(flaws):.1f} %)")
EOF
