#!/bin/sh
# The runner image's entry point: one shard of the UML suite, as whoever runs it (uid 1000 by
# default), results in /results. The shard is $SHARD (i/n), or, in a Kubernetes Indexed Job,
# $JOB_COMPLETION_INDEX (from 0) of $SHARD_COUNT. Extra arguments go to `macvlab run`.
set -eu
if [ -z "${SHARD:-}" ] && [ -n "${JOB_COMPLETION_INDEX:-}" ]; then
  case "$JOB_COMPLETION_INDEX" in *[!0-9]*|"") echo "entrypoint: JOB_COMPLETION_INDEX=$JOB_COMPLETION_INDEX is not an index" >&2; exit 2 ;; esac
  SHARD="$((JOB_COMPLETION_INDEX + 1))/${SHARD_COUNT:?SHARD_COUNT: how many shards the Job has}"
fi
set -- run --provider uml --forbid-skips --results "${RESULTS_DIR:-/results}" ${SHARD:+--shard "$SHARD"} "$@"
echo "macvlab runner: node /opt/macvlab/bin/macvlab.js $*" >&2
exec node /opt/macvlab/bin/macvlab.js "$@"
