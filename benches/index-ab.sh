#!/usr/bin/env bash
# Two (or more) archeo binaries' `index --rebuild` and parse floor (`--dry-run`) over the same
# manifest, interleaved (A, B, A, B, ...) so that a shared machine's load falls on all alike.
#
#   benches/index-ab.sh MANIFEST RUNS BIN_A BIN_B [BIN_C ...]
#
# Needs a fetched cache (`archeo fetch`, or ARCHEO_CACHE_DIR), GNU time (/usr/bin/time). Prints
# every run (wall s, user s, sys s, peak RSS KiB, load average before-after), then per binary
# the medians: wall, CPU (user+sys), MB/s, and index/floor by wall and by CPU. Uses a scratch
# index directory; no index of yours is touched.
set -euo pipefail
manifest=$1 runs=$2
shift 2
bins=("$@")
[ "${#bins[@]}" -ge 2 ] || { echo "usage: $0 MANIFEST RUNS BIN_A BIN_B [BIN_C ...]" >&2; exit 2; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
median() { sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
load() { cut -d' ' -f1 /proc/loadavg; }
for _ in $(seq "$runs"); do
  for mode in index floor; do
    for bin in "${bins[@]}"; do
      extra=(); [ "$mode" = floor ] && extra=(--dry-run)
      rm -rf "$scratch/index"
      l0=$(load)
      /usr/bin/time -f '%e %U %S %M' -o "$scratch/t" "$bin" --manifest "$manifest" \
        --index-dir "$scratch/index" index --rebuild "${extra[@]}" >/dev/null 2>"$scratch/err" \
        || { cat "$scratch/err" >&2; exit 1; }
      echo "$mode $bin $(cat "$scratch/t") load $l0-$(load)" | tee -a "$scratch/runs"
      grep -o '([0-9.]* MB' "$scratch/err" | tr -dc '0-9.' > "$scratch/mb"
    done
  done
done
mb=$(cat "$scratch/mb")
echo "distinct source: $mb MB; machine: $(nproc) cores"
for bin in "${bins[@]}"; do
  for mode in index floor; do
    rows=$(awk -v m="$mode" -v b="$bin" '$1==m && $2==b' "$scratch/runs")
    w=$(awk '{print $3}' <<<"$rows" | median)
    c=$(awk '{print $4+$5}' <<<"$rows" | median)
    printf -v "${mode}_w" '%s' "$w"; printf -v "${mode}_c" '%s' "$c"
  done
  echo "$bin: index ${index_w} s wall ($(awk -v m="$mb" -v w="$index_w" 'BEGIN {printf "%.1f", m/w}') MB/s), ${index_c} s CPU; floor ${floor_w} s wall, ${floor_c} s CPU; index/floor $(awk -v a="$index_w" -v b="$floor_w" 'BEGIN {printf "%.2f", a/b}') by wall, $(awk -v a="$index_c" -v b="$floor_c" 'BEGIN {printf "%.2f", a/b}') by CPU"
done
