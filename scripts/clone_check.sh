#!/usr/bin/env bash
# make test-clone: proves the repository is self-contained. Clones HEAD into a fresh temporary folder
# that has no sibling folders (no ../shared, no ../anything), with its own empty .cache, and runs a
# quick subset there: the data generator from scratch (small size only: the full one takes minutes
# and is covered by make test), the engine, the harness and the package.
# Uses the venv scripts/setup.sh made (nothing in it is specific to one checkout), so nothing is
# downloaded. Commits only: uncommitted work is not in the clone.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd -P)
VENV_ABS=$(cd "${VENV:-.venv}" && pwd -P)
tmp=$(mktemp -d /tmp/stac-ql-clone.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
git clone -q "$REPO" "$tmp/p"
[ "$(ls -A "$tmp")" = p ] || { echo "clone-check: $tmp has more than the clone" >&2; exit 1; }
cd "$tmp/p"
echo "clone-check: $(git log -1 --format='%h %s' | cut -c1-80) in $tmp/p"
started=$(date +%s)
# Only the clone's own paths: no override that could point back at this checkout or its neighbours.
env -u STAC_QL_TESTDATA -u STAC_QL_FIXTURES QT_QPA_PLATFORM=offscreen \
  "$VENV_ABS/bin/python" -m pytest -q -p no:cacheprovider \
  -m "not slow" --deselect tests/core/raster/test_cog_faults.py::test_server_ignoring_range_is_not_downloaded_whole \
  tests/core tests/harness tests/test_package.py ${CLONE_PYTEST_ARGS:-}
echo "clone-check: passed in $(( $(date +%s) - started )) s"
