#!/usr/bin/env bash
# Creates (or reuses) a virtualenv, installs the three Python packages editable with
# the test and type-check tools, type-checks them (mypy --strict, pyright) and runs the
# unit suites and the upstream-compatibility check.
# Usage: run-unit-tests.sh [VENV_DIR]   (relative or absolute; default: a temporary
# directory, removed afterwards). PYTHON picks the interpreter for a new venv
# (default python3); TYPECHECK=0 skips the type checks. Exits non-zero on failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"

if [[ $# -ge 1 && -n "$1" ]]; then
    venv="$(realpath -m -- "$1")" # absolute, as the suites run from other directories
else
    venv="$(mktemp -d)/venv"
    trap 'rm -rf "$(dirname "$venv")"' EXIT
fi

if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --quiet --disable-pip-version-check)
# The build backend goes into the venv once, instead of into a fresh build
# environment for every package.
"${pip[@]}" install "hatchling>=1.27" editables
pip+=(install --no-build-isolation)
"${pip[@]}" -e "$here/client[httpx]" -e "$here/user-server" "pytest>=7"
# The reference server depends on ../user-server by a file URL; --no-deps keeps the
# editable copy installed just above.
"${pip[@]}" --no-deps -e "$here/sync-reference-server"
echo "== $("$venv/bin/python" -c 'import platform; print("CPython", platform.python_version())') ($venv)"

status=0
if [[ "${TYPECHECK:-1}" != 0 ]]; then
    "${pip[@]}" "mypy==2.4.1" "pyright==1.1.414"
    echo "== mypy --strict"
    (cd "$here" && "$venv/bin/mypy" --strict --cache-dir "$venv/.mypy_cache" -p tiauth_faroe.client \
        -p tiauth_faroe.user_server -p tiauth_faroe.sync_reference_server) || status=1
    echo "== pyright"
    (cd "$here" && "$venv/bin/pyright" --pythonpath "$venv/bin/python" \
        client/src user-server/src sync-reference-server/src) || status=1
fi

for suite in client user-server sync-reference-server compat; do
    echo "== $suite unit tests"
    # The client's integration suite lives in tests/integration and is excluded here.
    tests=tests
    [[ "$suite" == compat ]] && tests=.
    (cd "$here/$suite" && "$venv/bin/python" -m pytest -q -p no:cacheprovider \
        --ignore=tests/integration "$tests") || status=1
done
exit "$status"
