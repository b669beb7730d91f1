#!/usr/bin/env bash
# The cross-reference commands' cost, whole process (index opened, facts loaded, graph built,
# printed): median of N runs (default 11) of each command at one revision. `callers` (depth 1)
# narrows to the files holding the name and their Go packages and must stay under 50 ms on
# runc v1.3.3; `callers --depth 2`, `callees` and `path` build the revision's whole graph.
# When the index holds crun 1.29.1 (C) and youki v0.7.0 (Rust), the same questions are asked
# there: C resolves by name over the whole revision's definitions of the name; Rust through
# modules and `use` paths.
# Usage: benches/xref.sh ARCHEO INDEX_DIR [RUNS]   (an index of runc, e.g. archeo.toml's pins)
set -euo pipefail
bin=${1:?archeo binary}
index=${2:?index directory}
runs=${3:-11}
median() { # ARGS...: median wall-clock milliseconds of `archeo ARGS` over $runs runs
  local times=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N)
    "$bin" --index-dir "$index" "$@" > /dev/null || true
    end=$(date +%s%N)
    times+=($(((end - start) / 1000000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
bench() {
  printf '%6s ms  archeo %s\n' "$(median "$@")" "$*"
}
"$bin" --index-dir "$index" callers WriteSysctls --at runc@v1.3.3 > /dev/null # warm the page cache
bench callers WriteSysctls --at runc@v1.3.3
bench callers '(*linuxStandardInit).Init' --at runc@v1.3.3
bench defs WriteSysctls --at runc@v1.3.3
bench refs startContainer --at runc@v1.3.3
bench callers WriteSysctls --repo runc
bench callers WriteSysctls --at runc@v1.3.3 --depth 2
bench callees WriteSysctls --at runc@v1.3.3
bench path main.init WriteSysctls --at runc@v1.3.3
if "$bin" --index-dir "$index" defs libcrun_set_sysctl --at crun@1.29.1 > /dev/null 2>&1; then
  bench callers libcrun_set_sysctl --at crun@1.29.1
  bench callers libcrun_open_proc_file --at crun@1.29.1
  bench defs libcrun_get_cached_proc_fd --at crun@1.29.1
  bench callers libcrun_set_sysctl --repo crun
  bench callees libcrun_set_sysctl --at crun@1.29.1
  bench path libcrun_container_run libcrun_set_sysctl --at crun@1.29.1
fi
if "$bin" --index-dir "$index" defs sysctl --at youki@v0.7.0 > /dev/null 2>&1; then
  bench callers sysctl --at youki@v0.7.0
  bench defs InitProcessError --at youki@v0.7.0
  bench callers sysctl --repo youki
  bench callees sysctl --at youki@v0.7.0
  bench path container_init_process sysctl --at youki@v0.7.0
fi
