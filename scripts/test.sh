#!/usr/bin/env bash
# Runs the test suite once per Keras backend (tensorflow, jax, torch) and
# exits non-zero if any backend fails. Extra arguments go to pytest, e.g.
#   bash scripts/test.sh tests/layers -x
# Tests run in $PYTEST_WORKERS pytest-xdist processes (default 2; 0 runs
# them in the pytest process itself).
set -u
cd "$(dirname "$0")/.."
if [ -z "${KERAS_MEMATTN_DATA:-}" ] && [ -d ../shared/data ]; then
  KERAS_MEMATTN_DATA="$(cd ../shared/data && pwd)"
fi
export KERAS_MEMATTN_DATA
PYTHON="${PYTHON:-python}"
WORKERS="${PYTEST_WORKERS:-2}"
status=0
for backend in tensorflow jax torch; do
  echo "=== KERAS_BACKEND=${backend} ==="
  start=$(date +%s)
  KERAS_BACKEND="${backend}" "${PYTHON}" -m pytest -q -n "${WORKERS}" "$@"
  rc=$?
  echo "=== ${backend}: exit ${rc} in $(( $(date +%s) - start )) s ==="
  if [ "${rc}" -ne 0 ]; then
    status=1
  fi
done
exit "${status}"
