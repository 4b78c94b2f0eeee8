#!/usr/bin/env bash
# Materialises every entry of scripts/corpus.toml at its pinned commit or version, outside the repository.
#
#   scripts/fetch-check-corpus.sh            # into $CORPUS_DIR (default /work/corpus)
#   CORPUS_DIR=/tmp/corpus scripts/fetch-check-corpus.sh
#
# Source order for a git entry: a bare mirror in $MIRROR_DIR/<owner+name> (what the `fetch` tool leaves),
# else `git clone` from GitHub. A crates.io entry comes from ~/.cargo/registry/src when already unpacked,
# else from static.crates.io. Idempotent: a checkout whose stamp names the pinned commit is left alone.
# Never builds or runs anything from the corpus.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
corpus_file=${CORPUS_FILE:-$here/corpus.toml}
corpus_dir=${CORPUS_DIR:-/work/corpus}
mirror_dir=${MIRROR_DIR:-/work/.mirror}
mkdir -p "$corpus_dir/src"

# One line per entry, fields split by "|" (a tab would collapse empty fields in `read`):
# name repo commit crate version path.
entries() {
  python3 - "$corpus_file" <<'EOF'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    data = tomllib.load(f)
for e in data["entry"]:
    print("|".join([e["name"], e.get("repo", ""), e.get("commit", ""), e.get("crate", ""),
                     e.get("version", ""), e.get("path", ".")]))
EOF
}

# Prints the git directory of a local mirror of $1 (owner/name) that holds commit $2, if any.
mirror_of() {
  local base=$mirror_dir/${1/\//+} gitdir
  for gitdir in "$base/repo/.git" "$base/repo" "$base"; do
    if [[ -d $gitdir/objects ]] && git --git-dir="$gitdir" cat-file -e "$2^{commit}" 2>/dev/null; then
      echo "$gitdir"
      return 0
    fi
  done
  return 1
}

# Fills folder $3 with repository $1 at commit $2.
fetch_git() {
  local repo=$1 commit=$2 dest=$3 part=$3.part gitdir
  rm -rf "$part"
  mkdir -p "$part"
  if gitdir=$(mirror_of "$repo" "$commit"); then
    git --git-dir="$gitdir" archive --format=tar "$commit" | tar -x -C "$part"
    echo "$repo@${commit:0:12}: from mirror $gitdir" >&2
  else
    git clone --quiet --filter=blob:none --no-checkout "https://github.com/$repo.git" "$part/.clone"
    git -C "$part/.clone" archive --format=tar "$commit" | tar -x -C "$part"
    rm -rf "$part/.clone"
    echo "$repo@${commit:0:12}: cloned from GitHub" >&2
  fi
  rm -rf "$dest"
  mv "$part" "$dest"
}

# Fills folder $3 with crate $1 version $2.
fetch_crate() {
  local crate=$1 version=$2 dest=$3 part=$3.part unpacked
  rm -rf "$part"
  mkdir -p "$part"
  unpacked=$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -maxdepth 2 -type d -name "$crate-$version" 2>/dev/null |
    head -n 1)
  if [[ -n $unpacked ]]; then
    cp -R "$unpacked/." "$part/"
    echo "$crate $version: from $unpacked" >&2
  else
    curl -sSfL "https://static.crates.io/crates/$crate/$crate-$version.crate" |
      tar -xz -C "$part" --strip-components=1
    echo "$crate $version: downloaded from crates.io" >&2
  fi
  rm -rf "$dest"
  mv "$part" "$dest"
}

failed=0
while IFS='|' read -r name repo commit crate version path; do
  if [[ -n $repo ]]; then
    [[ $commit =~ ^[0-9a-f]{40}$ ]] || { echo "$name: commit must be a full SHA, got '$commit'" >&2; exit 2; }
    src=$corpus_dir/src/${repo/\//+}@$commit
    stamp="git $repo $commit"
  elif [[ -n $crate && -n $version ]]; then
    src=$corpus_dir/src/$crate-$version
    stamp="crate $crate $version"
  else
    echo "$name: needs repo + commit or crate + version" >&2
    exit 2
  fi
  if [[ ! -f $src/.corpus-stamp || "$(cat "$src/.corpus-stamp")" != "$stamp" ]]; then
    if [[ -n $repo ]]; then
      fetch_git "$repo" "$commit" "$src" || { echo "$name: could not fetch $repo@$commit" >&2; failed=1; continue; }
    else
      fetch_crate "$crate" "$version" "$src" || { echo "$name: could not fetch $crate $version" >&2; failed=1; continue; }
    fi
    echo "$stamp" >"$src/.corpus-stamp"
  fi
  # The entry folder is a link to the checked-out subfolder, so every path the bench prints is short.
  [[ -f $src/$path/Cargo.toml ]] || { echo "$name: no Cargo.toml at $path in $stamp" >&2; failed=1; continue; }
  ln -sfn "$src/$path" "$corpus_dir/$name"
  echo "$name -> $src/$path"
done < <(entries)
exit "$failed"
