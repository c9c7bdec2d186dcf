#!/bin/sh
# The runner image's entry point: one shard of the UML suite, as whoever runs it (uid 1000 by
# default, no capability needed), results in /results. The shard is $SHARD (i/n), or, in a
# Kubernetes Indexed Job, index $JOB_COMPLETION_INDEX (from 0) of $SHARD_COUNT, with its results in
# /results/shard-<i> and the timings the merge keeps in /results/history balancing the split.
# Extra arguments go to `macvlab run`.
set -eu
results=${RESULTS_DIR:-/results}
if [ -z "${SHARD:-}" ] && [ -n "${JOB_COMPLETION_INDEX:-}" ]; then
  case "$JOB_COMPLETION_INDEX" in *[!0-9]* | "") echo "entrypoint: JOB_COMPLETION_INDEX=$JOB_COMPLETION_INDEX is not an index" >&2; exit 2 ;; esac
  SHARD="$((JOB_COMPLETION_INDEX + 1))/${SHARD_COUNT:?SHARD_COUNT: how many shards the Job has}"
  results=${RESULTS_DIR:-/results/shard-$((JOB_COMPLETION_INDEX + 1))}
  [ -f /results/history/timings.json ] && set -- --timings /results/history/timings.json "$@"
fi
set -- run --provider uml --forbid-skips --results "$results" ${SHARD:+--shard "$SHARD"} "$@"
echo "macvlab runner: as uid $(id -u), node /opt/macvlab/bin/macvlab.js $*" >&2
exec node /opt/macvlab/bin/macvlab.js "$@"
