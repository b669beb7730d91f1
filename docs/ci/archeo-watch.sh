#!/bin/sh
# archeo watch as a scheduled job (docs/watch-ci.md): the commands both recipes run.
#
#   sh ci/archeo-watch.sh REPORT.md
#
# Run it in a checkout holding archeo.toml and archeo.lock, with the cache and the index of the
# previous run in place (ARCHEO_CACHE_DIR / ARCHEO_INDEX_DIR, or the manifest's [defaults]).
# It checks the upstreams for new releases; when something is new, it writes the new
# archeo.lock and the report (Markdown, a pull request's body) to REPORT.md.
#
# Exit: 0 something is new: commit archeo.lock and open a pull request with REPORT.md as its
#       body; 1 nothing new upstream (REPORT.md says so); 2 an error (archeo's message is on
#       stderr; the lock is untouched).
# In GitHub Actions it also sets the step outputs `open` (true: a pull request to open) and
# `watched` (true: a watched finding changed, archeo watch exited 3).
set -u
report=${1:?usage: archeo-watch.sh REPORT.md}
archeo watch --update-lock --format md > "$report"
status=$?
case $status in
  0 | 3) open=true ;;
  1) open=false ;;
  *)
    echo "archeo-watch.sh: archeo watch failed (exit $status)" >&2
    exit 2
    ;;
esac
# A pull request's body holds at most 65536 characters: keep the whole report beside it.
limit=60000
if [ "$(wc -c < "$report")" -gt "$limit" ]; then
  cp "$report" "$report.full"
  awk -v limit="$limit" '{ n += length($0) + 1; if (n > limit) exit; print }' "$report.full" > "$report"
  printf '\n_The report is longer than a pull request holds: the whole of it is %s (run `archeo watch --format md` to see it again)._\n' "$(basename "$report").full" >> "$report"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "open=$open" >> "$GITHUB_OUTPUT"
  if [ "$status" -eq 3 ]; then echo "watched=true"; else echo "watched=false"; fi >> "$GITHUB_OUTPUT"
fi
[ "$open" = true ]
