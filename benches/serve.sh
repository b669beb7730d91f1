#!/usr/bin/env bash
# archeo serve benchmark, against an existing index:
#  1. first byte of the search page (curl's time_starttransfer) vs the whole-process CLI search
#     for the same query, runs interleaved (CLI, page, CLI, page ...), medians per query;
#  2. 50 concurrent clients for 20 s on one search page and one file view (wrk, from Debian's
#     `wrk` package): requests/s, p50 and p99 latency, and every non-2xx or socket error.
# Traffic goes to 127.0.0.1 only and stops by itself.
#
#   benches/serve.sh [INDEX_DIR] [RUNS]        (defaults: index 15)
#
# ARCHEO_BIN picks the binary (default target/release/archeo).
set -euo pipefail
index=${1:-index}
runs=${2:-15}
bin=${ARCHEO_BIN:-target/release/archeo}
[ -x "$bin" ] || cargo build --release --quiet
command -v curl >/dev/null || { echo "needs curl" >&2; exit 2; }

out=$(mktemp)
"$bin" --index-dir "$index" serve --addr 127.0.0.1:0 >"$out" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.1; done
url=$(head -1 "$out")
url=${url%/}
echo "machine: $(nproc) cores; archeo serve at $url; index $index; $runs runs per query"

python3 - "$bin" "$index" "$url" "$runs" <<'PY'
import statistics, subprocess, sys, time, urllib.parse
bin, index, url, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
queries = ["openat2", "RESOLVE_NO_XDEV", '"unsafe procfs detected"', "sym:WriteSysctls sysctl",
           "procfs repo:runc", "rule:openat2-resolve-no-xdev", "Errorf -path:vendor/", "securejoin"]
def cli(q):
    t = time.perf_counter()
    subprocess.run([bin, "--index-dir", index, "search", q], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return (time.perf_counter() - t) * 1000
def page(q):
    target = f"{url}/search?q={urllib.parse.quote_plus(q)}"
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_starttransfer}",
                        target], capture_output=True, text=True)
    code, first = r.stdout.split()
    assert code == "200", f"{target}: HTTP {code}"
    return float(first) * 1000
print(f"{'query':34} {'CLI ms':>8} {'page first byte ms':>19} {'difference':>11}")
worst = -1e9
for q in queries:
    cli(q); page(q)  # warm-up
    a, b = [], []
    for _ in range(runs):
        a.append(cli(q)); b.append(page(q))
    ca, pb = statistics.median(a), statistics.median(b)
    worst = max(worst, pb - ca)
    print(f"{q:34} {ca:8.1f} {pb:19.1f} {pb - ca:+11.1f}")
print(f"largest (page first byte - CLI), medians: {worst:+.1f} ms (target: <= +10 ms)")
PY

if command -v wrk >/dev/null; then
  file=$(python3 - "$bin" "$index" <<'PY'
import json, subprocess, sys, urllib.parse
out = subprocess.run([sys.argv[1], "--index-dir", sys.argv[2], "search", "openat2", "--limit", "1",
                      "--format", "json"], capture_output=True, text=True).stdout
h = json.loads(out.splitlines()[0])["cite"]
print("/file/%s/%s/%s" % (h["repo"], urllib.parse.quote(h["rev"], safe=""), urllib.parse.quote(h["path"])))
PY
)
  for target in "/search?q=openat2" "$file"; do
    echo "wrk -t2 -c50 -d20s --latency $target"
    wrk -t2 -c50 -d20s --timeout 30s --latency "$url$target" \
      | grep -E "Requests/sec|Latency  |50%|99%|Non-2xx|Socket errors|requests in"
  done
else
  echo "wrk not installed (apt-get install wrk): concurrency run skipped"
fi
