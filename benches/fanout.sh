#!/usr/bin/env bash
# The front end's cost: the same JSON API questions asked of one `archeo serve` of the whole
# index, of a front end over one `archeo serve` per shard, and of each shard server alone.
# Checks that the front end's records are the single server's (the closing `shards` record
# aside) and prints median and p90 latency (ms) over RUNS sequential requests each.
#
#   benches/fanout.sh ARCHEO SINGLE_INDEX SHARDS_DIR RUNS      (SHARDS_DIR/1, SHARDS_DIR/2, ...)
#   benches/fanout.sh target/release/archeo /work/shared-index /tmp/shards/2 21
set -euo pipefail
archeo=$(realpath "$1"); single=$(realpath "$2"); shards=$(realpath "$3"); runs=$4
tmp=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
start() { # start NAME ARGS...: archeo serve on a free port (its pid kept for the cleanup)
  local name=$1; shift
  "$archeo" "$@" --addr 127.0.0.1:0 > "$tmp/$name.url" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 200); do [ -s "$tmp/$name.url" ] && break; sleep 0.05; done
}
url() { head -1 "$tmp/$1.url" | sed 's#/$##'; }
start one --index-dir "$single" serve
one=$(url one)
urls=()
for d in "$shards"/*/; do
  k=$(basename "$d"); start "shard$k" --index-dir "$d" serve; urls+=("$(url "shard$k")")
done
front_args=(serve --shard-timeout-ms 10000)
for u in "${urls[@]}"; do front_args+=(--shard "$u"); done
start front "${front_args[@]}"
front=$(url front)
lat() { # lat URL: median and p90 ms over RUNS requests
  local t=()
  for _ in $(seq "$runs"); do
    t+=($(curl -s -o /dev/null -w '%{time_total}' "$1" | awk '{printf "%d", $1 * 1000}'))
  done
  printf '%s\n' "${t[@]}" | sort -n | awk -v n="$runs" '{a[NR]=$1} END {printf "p50 %d p90 %d", a[int((n+1)/2)], a[int(n*0.9+0.5)]}'
}
echo "# load: $(uptime)"
echo "# $(( ${#urls[@]} )) shard servers"
for q in "search?q=RESOLVE_NO_XDEV" "search?q=openat2&limit=20" "search?q=%22unsafe+procfs+detected%22" \
         "findings?rule=openat2-resolve-no-xdev" "findings?rule=sysctl-write&repo=runc"; do
  a=$(curl -s "$one/api/$q"); b=$(curl -s "$front/api/$q" | sed '$d')
  [ "$a" = "$b" ] && same=equal || same=DIFFERENT
  each=""
  for u in "${urls[@]}"; do each="$each [$(lat "$u/api/$q&ranked=1")]"; done
  echo "$same one [$(lat "$one/api/$q")] front [$(lat "$front/api/$q")] shards$each: $q"
done
