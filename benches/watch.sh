#!/usr/bin/env bash
# Watch benchmark: `archeo watch` with nothing new upstream, beside the time of re-resolving
# the refs (`git ls-remote`, and `archeo fetch` with nothing new); and with one new release,
# beside the number of new file versions it brings (what indexing it costs).
#
#   benches/watch.sh REPO URL OLD_TAG NEW_TAG [RUNS]
#   benches/watch.sh runc https://github.com/opencontainers/runc v1.3.2 v1.3.3 5
#
# Needs network or mirrors (url.<base>.insteadOf, as archeo and git honour it) and GNU time
# (/usr/bin/time). Works in a scratch directory with its own manifest, cache and index;
# ARCHEO_CACHE_SEED=DIR copies the repository's cache from DIR/git/REPO.git first (saves the
# fetch). WATCH overrides the watch entries (a TOML list). Prints medians of RUNS runs.
set -euo pipefail
repo=$1 url=$2 old=$3 new=$4
runs=${5:-5}
bin=$(realpath "${ARCHEO_BIN:-target/release/archeo}")
watch=${WATCH:-'["openat2-resolve-no-xdev", "rule:sysctl-write sym:WriteSysctls"]'}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
export ARCHEO_CACHE_DIR=$scratch/cache ARCHEO_INDEX_DIR=$scratch/index NO_COLOR=1
if [ -n "${ARCHEO_CACHE_SEED:-}" ]; then
  mkdir -p cache/git && cp -a "$ARCHEO_CACHE_SEED/git/$repo.git" cache/git/
fi
manifest() { # revs...
  local revs; revs=$(printf '"%s", ' "$@"); revs=${revs%, }
  printf '[[repo]]\nname = "%s"\nurl = "%s"\nrevs = [%s]\nwatch = %s\n' "$repo" "$url" "$revs" "$watch" > archeo.toml
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
wall() { # expected exit codes (e.g. "0 3"), then the command; prints its wall time in seconds
  local ok=$1; shift
  local code=0
  /usr/bin/time -f '%e' -o t "$@" >/dev/null 2>err || code=$?
  case " $ok " in *" $code "*) ;; *) echo "exit $code from $*:" >&2; cat err >&2; exit 1 ;; esac
  tail -n 1 t  # GNU time puts "Command exited with non-zero status N" first
}
med() { # runs a wall measurement RUNS times
  for _ in $(seq "$runs"); do wall "$@"; done | median
}

manifest "$old"
"$bin" -q fetch && "$bin" -q index
lsremote=$(med "0" git ls-remote "$url")
fetch=$(med "0" "$bin" -q fetch)
nothing=$(med "1" "$bin" -q watch)

# One new release: the same index before each run, the lock left as it was (no --update-lock).
manifest "$old" "$new"
cp -a index index.before
walls=()
for _ in $(seq "$runs"); do
  rm -rf index && cp -a index.before index
  walls+=("$(wall "0 3" "$bin" watch)")
done
one=$(printf '%s\n' "${walls[@]}" | median)
summary=$(grep '^indexed ' err || true)
parsed=$(grep -o '[0-9]* parsed now' err | grep -o '^[0-9]*' || echo 0)
# The same release by hand: fetch (writes the lock), then index.
rm -rf index && cp -a index.before index
fetch_new=$(wall "0" "$bin" -q fetch)
index_new=$(wall "0" "$bin" -q index)

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; load: $(cut -d' ' -f1-3 /proc/loadavg); runs: $runs (medians)"
echo "nothing new: archeo watch ${nothing} s; re-resolving the refs: git ls-remote ${lsremote} s, archeo fetch (nothing new) ${fetch} s"
echo "one new release ($repo $old -> $new): archeo watch ${one} s, ${parsed} new file versions parsed; by hand: archeo fetch ${fetch_new} s + archeo index ${index_new} s"
echo "  ($summary)"
