#!/usr/bin/env bash
# Search benchmark: whole-process `archeo search TERM --repo REPO` over every indexed revision of
# REPO, side by side with `git grep -n -i TERM <every pinned commit>` on the cached repository,
# runs interleaved (A B A B ...); then the median per term of a 20-term list with --at one
# revision, and the p50 over those terms.
#
#   benches/search.sh [REPO] [REV] [RUNS]      (defaults: runc v1.3.3 7)
#
# Needs `archeo fetch && archeo index` done for the manifest in the current directory.
set -euo pipefail
repo=${1:-runc}
rev=${2:-v1.3.3}
runs=${3:-7}
bin=${ARCHEO_BIN:-target/release/archeo}
[ -x "$bin" ] || cargo build --release --quiet
cache=${ARCHEO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/archeo}
gitdir=$cache/git/$repo.git
commits=$("$bin" pins --format json | python3 -c "import sys,json; print(' '.join(j['commit'] for j in map(json.loads, sys.stdin) if j['repo']=='$repo'))")
python3 - "$bin" "$repo" "$rev" "$runs" "$gitdir" $commits <<'PY'
import os, subprocess, sys, time, statistics
bin, repo, rev, runs, gitdir, *commits = sys.argv[1:]
runs = int(runs)
def timed(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t
a_cmd = [bin, "search", "openat2", "--repo", repo]
b_cmd = ["git", "--git-dir", gitdir, "grep", "-n", "-i", "openat2", *commits]
timed(a_cmd); timed(b_cmd)  # warm-up
a, b = [], []
for _ in range(runs):
    a.append(timed(a_cmd)); b.append(timed(b_cmd))
ratios = [y / x for x, y in zip(a, b)]
print(f"machine: {os.cpu_count()} cores; {runs} runs each, interleaved; {len(commits)} revisions of {repo}")
print(f"archeo search openat2 --repo {repo}: median {statistics.median(a)*1000:.1f} ms")
print(f"git grep -n -i openat2 (all {len(commits)} commits): median {statistics.median(b)*1000:.1f} ms")
print(f"speed-up (git grep / archeo), median of pairs: {statistics.median(ratios):.1f}x")
terms = ["openat2", "RESOLVE_NO_XDEV", "procfs", "sysctl", "WriteSysctls", "errUnsafeProcfs",
         "OpenHow", "seccomp", "mount", "cgroup", "Statfs", "PROC_SUPER_MAGIC", "O_PATH",
         "securejoin", "Errorf", "pidfd", "rootfs", "overlay", "capabilities", "unix"]
per_term = []
for t in terms:
    cmd = [bin, "search", t, "--at", f"{repo}@{rev}"]
    timed(cmd)
    per_term.append(statistics.median(timed(cmd) for _ in range(runs)))
print(f"20 terms, --at {repo}@{rev}: p50 {statistics.median(per_term)*1000:.1f} ms, max {max(per_term)*1000:.1f} ms")
PY
