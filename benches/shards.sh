#!/usr/bin/env bash
# Shards on real pins: builds N shards of a manifest (for each N given), checks that every
# query below answers byte for byte as the single index does, and times the queries over the
# single index, over the union of the shards, and over each shard alone.
#
#   benches/shards.sh ARCHEO MANIFEST CACHE_DIR SINGLE_INDEX OUT_DIR RUNS N...
#   benches/shards.sh target/release/archeo ../main/archeo.toml /work/shared-cache /work/shared-index /tmp/shards 5 2 3
#
# The cache is only read (`archeo index` never writes it). OUT_DIR/N/K is shard K of N; a shard
# that already exists is indexed incrementally (delete OUT_DIR to time full builds). Prints
# per-shard build wall/CPU time, size and revisions, then per query: equal or DIFFERENT, and
# the median wall time (ms) over RUNS runs for one index, the union, and each shard alone.
set -euo pipefail
archeo=$(realpath "$1"); manifest=$(realpath "$2"); cache=$(realpath "$3"); single=$(realpath "$4")
out=$(mkdir -p "$5" && realpath "$5"); runs=$6; shift 6
export NO_COLOR=1
a() { "$archeo" --manifest "$manifest" --cache-dir "$cache" "$@"; }
ms() { # median wall ms of RUNS runs of: archeo ARGS
  local t=()
  for _ in $(seq "$runs"); do
    local s e; s=$(date +%s%N); a "$@" >/dev/null 2>&1 || true; e=$(date +%s%N)
    t+=($(( (e - s) / 1000000 )))
  done
  printf '%s\n' "${t[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
}
queries=(
  "search RESOLVE_NO_XDEV --format json"
  "search openat2 --limit 50 --format json"
  "search /Openat2\\(.*RESOLVE_/ --format json"
  "findings --rule openat2-resolve-no-xdev --format json"
  "timeline --rule openat2-resolve-no-xdev --repo runc --format json"
  "diff runc@v1.3.2 runc@v1.3.3 --no-vendor --format json"
  "deps moby@v28.5.2 --depth 2 --format json"
  "affected --rule sysctl-write --repo moby --format json"
  "callers WriteSysctls --at runc@v1.3.3 --format json"
  "path main.init WriteSysctls --at runc@v1.3.3 --format json"
  "explain open_sysctl_message --repo runc --format json"
)
message='open sysctl net.ipv4.ip_unprivileged_port_start file: unsafe procfs detected: openat2 /proc/./sys/net/ipv4/ip_unprivileged_port_start: invalid cross-device link'
echo "# load: $(uptime)"
for n in "$@"; do
  dirs=()
  for k in $(seq "$n"); do
    d="$out/$n/$k"; dirs+=(--index-dir "$d")
    /usr/bin/time -f "%e %U %S %M" -o "$out/time-$n-$k" "$archeo" --manifest "$manifest" --cache-dir "$cache" \
      --index-dir "$d" index --shard "$k/$n" -q
    read -r wall user sys rss < "$out/time-$n-$k"
    revs=$(a --index-dir "$d" stats --format json 2>/dev/null | grep -c '"type":"revision"')
    echo "build shard $k/$n: wall ${wall}s cpu $(echo "$user + $sys" | bc)s max-rss $((rss / 1024))MiB size $(du -sm "$d" | cut -f1)MiB revisions $revs"
  done
  for q in "${queries[@]}"; do
    read -r -a args <<< "$q"
    for i in "${!args[@]}"; do [ "${args[$i]}" = open_sysctl_message ] && args[$i]="$message"; done
    if diff -q <(a --index-dir "$single" "${args[@]}" 2>/dev/null) <(a "${dirs[@]}" "${args[@]}" 2>/dev/null) >/dev/null; then
      same=equal
    else
      same=DIFFERENT
    fi
    lines=$( (a --index-dir "$single" "${args[@]}" 2>/dev/null || true) | wc -l)
    one=$(ms --index-dir "$single" "${args[@]}")
    union=$(ms "${dirs[@]}" "${args[@]}")
    each=""
    for k in $(seq "$n"); do each="$each $(ms --index-dir "$out/$n/$k" "${args[@]}")"; done
    echo "N=$n $same ($lines lines) one ${one}ms union ${union}ms shards${each}ms: ${q%% --format*}"
  done
  if a "${dirs[@]}" export --check "$(dirname "$manifest")"/docs/case-study/runc-1.3.3-sysbox/*.md 2>&1 | tail -1; then :; fi
done
