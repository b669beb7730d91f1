#!/usr/bin/env bash
# What cross-reference extraction adds to indexing: `archeo index --rebuild` of the manifest in
# the current directory (e.g. one pinning runc's release tags), with and without the Go
# reference extraction (`--features bench-no-refs`, a build for this benchmark only), runs
# interleaved, medians and the ratio. The goal: at most 1.25x.
# Usage: benches/xref-index.sh [RUNS]      (default 3; needs `archeo fetch` done)
set -euo pipefail
runs=${1:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Same target directory (the dependencies are shared): the feature build first, copied aside.
# Both run archeo-full, the binary `index` runs in (`archeo` alone hands it over).
cargo build --release --locked --quiet --manifest-path "$root/Cargo.toml" --features bench-no-refs
cp "$root/target/release/archeo-full" "$work/archeo-no-refs"
cargo build --release --locked --quiet --manifest-path "$root/Cargo.toml"
with=$root/target/release/archeo-full
without=$work/archeo-no-refs
python3 - "$with" "$without" "$work" "$runs" <<'PY'
import os, statistics, subprocess, sys, time
with_refs, without, work, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def run(binary, tag):
    t = time.perf_counter()
    subprocess.run([binary, "--index-dir", f"{work}/{tag}", "index", "--rebuild"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t
run(with_refs, "warm")  # warm the page cache and the object database
times = {"with": [], "without": []}
for _ in range(runs):
    times["without"].append(run(without, "without"))
    times["with"].append(run(with_refs, "with"))
a, b = statistics.median(times["with"]), statistics.median(times["without"])
print(f"machine: {os.cpu_count()} cores; {runs} runs each, interleaved, medians")
print(f"index --rebuild without reference extraction: {b:6.2f} s")
print(f"index --rebuild with reference extraction:    {a:6.2f} s   ({a / b:.2f}x)")
PY
