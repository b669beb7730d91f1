#!/usr/bin/env bash
# Index benchmark: whole-process figures for `archeo index` over the pinned revisions of a
# manifest, beside the parse floor (the same distinct blobs read and parsed with tree-sitter
# alone, no rules, no index), and the cost of indexing one more release.
#
#   benches/index.sh [MANIFEST] [RUNS]
#
# Needs a fetched cache (`archeo fetch`), GNU time (/usr/bin/time). Prints medians of RUNS runs.
# Uses a scratch index directory; your ./index is not touched.
set -euo pipefail
manifest=${1:-archeo.toml}
runs=${2:-3}
bin=${ARCHEO_BIN:-target/release/archeo}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
[ -x "$bin" ] || cargo build --release --quiet

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
measure() { # label, then the command; prints "label wall_s rss_mib"
  local label=$1; shift
  local walls=() rss=()
  for _ in $(seq "$runs"); do
    /usr/bin/time -f '%e %M' -o "$scratch/t" "$@" >/dev/null 2>"$scratch/err" || { cat "$scratch/err" >&2; exit 1; }
    read -r w m < "$scratch/t"; walls+=("$w"); rss+=("$m")
  done
  printf '%s %s %s\n' "$label" "$(printf '%s\n' "${walls[@]}" | median)" "$(printf '%s\n' "${rss[@]}" | median | awk '{printf "%.0f", $1/1024}')"
}

idx=$scratch/index
full=$(measure index "$bin" --manifest "$manifest" --index-dir "$idx" -q index --rebuild)
floor=$(measure floor "$bin" --manifest "$manifest" --index-dir "$idx" -q index --rebuild --dry-run)
"$bin" --manifest "$manifest" --index-dir "$idx" index --dry-run --rebuild 2>"$scratch/dry"
mb=$(grep -o '([0-9.]* MB' "$scratch/dry" | tr -dc '0-9.')
size_mib=$(du -sm "$idx" | cut -f1)
read -r _ fw frss <<<"$full"; read -r _ pw prss <<<"$floor"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; runs: $runs (medians)"
echo "distinct source: ${mb} MB"
echo "index --rebuild: ${fw} s wall, $(awk -v m="$mb" -v w="$fw" 'BEGIN {printf "%.1f", m/w}') MB/s, peak RSS ${frss} MiB, index ${size_mib} MiB on disk"
echo "parse floor:     ${pw} s wall, peak RSS ${prss} MiB"
echo "ratio index/floor: $(awk -v a="$fw" -v b="$pw" 'BEGIN {printf "%.2f", a/b}')"

# One more release: index all but the last pinned revision of the first repository, then the full lock.
lock=$(dirname "$manifest")/archeo.lock
if [ -f "$lock" ]; then
  cp "$lock" "$scratch/full.lock"
  python3 - "$lock" "$scratch/less.lock" <<'PY'
import sys, re
text = open(sys.argv[1]).read()
blocks = text.split("[[repo.rev]]")
# drop the last [[repo.rev]] of the first repo
first_repo_end = text.find("[[repo]]", text.find("[[repo]]") + 1)
head = text if first_repo_end < 0 else text[:first_repo_end]
tail = "" if first_repo_end < 0 else text[first_repo_end:]
i = head.rfind("[[repo.rev]]")
open(sys.argv[2], "w").write(head[:i] + tail)
PY
  cp "$scratch/less.lock" "$lock"
  "$bin" --manifest "$manifest" --index-dir "$idx" -q index --rebuild
  cp "$scratch/full.lock" "$lock"
  /usr/bin/time -f '%e %M' -o "$scratch/t" "$bin" --manifest "$manifest" --index-dir "$idx" index 2>"$scratch/inc"
  read -r iw _ < "$scratch/t"
  echo "one more release: $(grep -o '[0-9]* parsed now ([0-9.]* MB' "$scratch/inc") -> ${iw} s wall"
fi
