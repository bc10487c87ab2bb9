#!/usr/bin/env bash
# Validate CITATION.cff against the Citation File Format schema with cffconvert.
#
#   bash tools/validate_citation.sh
#
# cffconvert 2.0.0 pins jsonschema<4, which would downgrade the Jupyter stack's jsonschema, so it
# lives in its own small virtual environment, .venv-cff/ (git-ignored), made on first use.
# tests/test_site.py runs the same check when .venv-cff/ exists (and fails in CI when it does not).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv-cff
PIN="cffconvert==2.0.0"
if ! "$VENV/bin/python" -m pip show --quiet cffconvert >/dev/null 2>&1 \
   || [ "$("$VENV/bin/python" -m pip show cffconvert 2>/dev/null | sed -n 's/^Version: //p')" != "2.0.0" ]; then
  echo "[citation] installing $PIN into $VENV/"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$PIN"
fi
"$VENV/bin/cffconvert" --validate --infile CITATION.cff
echo "[citation] CITATION.cff is valid"
