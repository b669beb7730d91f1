#!/usr/bin/env bash
# A local Ray cluster on this machine, and archeo's distributed build and query on it.
#
#   deploy/ray/local.sh up [WORKERS]      a head node (no CPU: work goes to workers) and WORKERS
#                                         worker nodes of one CPU each (default 2), each its own
#                                         raylet, as `ray start` makes them on separate machines
#   deploy/ray/local.sh run [N] [QUERY]   build N shards (default 2) as Ray tasks into shards/,
#                                         serve them as Ray actors with a front end on
#                                         127.0.0.1:7800, and ask it QUERY (default openat2)
#   deploy/ray/local.sh down              ray stop (every Ray process of this user)
#
# Run from the project (archeo.toml found upward); `run` needs a fetched cache (archeo fetch)
# and uses target/release/archeo (ARCHEO_BIN to use another). RAY_PORT picks the head's port
# (default 6379); ARCHEO_PYTHON the Python with Ray (default python3).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py="${ARCHEO_PYTHON:-python3}"
port="${RAY_PORT:-6379}"
export RAY_USAGE_STATS_ENABLED=0
ray_cli() { "$py" -m ray.scripts.scripts "$@"; }

case "${1:-}" in
  up)
    workers="${2:-2}"
    start=$SECONDS
    ray_cli start --head --num-cpus=0 --port="$port" --include-dashboard=false --disable-usage-stats >/dev/null
    for _ in $(seq "$workers"); do
      ray_cli start --address="127.0.0.1:$port" --num-cpus=1 >/dev/null
    done
    echo "Ray cluster at 127.0.0.1:$port: a head and $workers worker nodes, up in $((SECONDS - start)) s"
    ;;
  run)
    n="${2:-2}"
    query="${3:-openat2}"
    bin="${ARCHEO_BIN:-target/release/archeo}"
    export RAY_ADDRESS="127.0.0.1:$port"
    "$py" "$here/archeo_ray.py" build --archeo "$bin" --shards "$n" --out shards
    "$py" "$here/archeo_ray.py" serve --archeo "$bin" --shards "$n" --out shards --port 7800
    "$py" - "$query" <<'EOF'
import sys, urllib.parse, urllib.request
url = "http://127.0.0.1:7800/api/search?" + urllib.parse.urlencode({"q": sys.argv[1], "limit": 5})
print(url)
with urllib.request.urlopen(url, timeout=30) as r:
    print(r.read().decode(), end="")
EOF
    ;;
  down)
    ray_cli stop
    ;;
  *)
    sed -n '2,16p' "$0" >&2
    exit 2
    ;;
esac
