#!/bin/bash
# The part of the official image's entrypoint the compose file relies on: `airflow <command>` for a
# bare Airflow subcommand (`celery worker` is `airflow celery worker`), the command itself for
# bash/python/anything with a path.
set -euo pipefail
if [[ $# -eq 0 ]]; then
    exec bash
fi
case "$1" in
    bash | sh | python | python3 | airflow | */*) exec "$@" ;;
    *) exec airflow "$@" ;;
esac
