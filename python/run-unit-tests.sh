#!/usr/bin/env bash
# Creates a virtualenv, installs the three Python packages (editable) and pytest,
# and runs their unit test suites. Usage: run-unit-tests.sh [VENV_DIR]
# (default: a temporary directory, removed afterwards). Exits non-zero on failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"

if [[ $# -ge 1 && -n "$1" ]]; then
    venv="$1"
else
    venv="$(mktemp -d)/venv"
    trap 'rm -rf "$(dirname "$venv")"' EXIT
fi

if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
# One pip call, so the reference server's dependency resolves to the local user-server.
"$venv/bin/python" -m pip install --quiet \
    -e "$here/client" -e "$here/user-server" -e "$here/sync-reference-server" "pytest>=7"

status=0
for package in client user-server sync-reference-server; do
    echo "== $package unit tests"
    # The client's integration suite lives in tests/integration and is excluded here.
    (cd "$here/$package" && "$venv/bin/python" -m pytest -q -p no:cacheprovider \
        --ignore=tests/integration tests) || status=1
done
exit "$status"
