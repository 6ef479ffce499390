#!/usr/bin/env bash
# Runs the client integration suite against running servers.
#   TIAUTH_SERVER_URL  the auth server's action endpoint, e.g. http://127.0.0.1:3777
#   USER_SERVER_URL    its user server (reference server or mock backend), e.g. http://127.0.0.2:8079
# With neither set, the suite starts tiauth and the mock backend itself through the
# pytest plugin of the tiauth-faroe-server wheel, which must then be installed in VENV_DIR.
# Usage: run-integration-tests.sh [VENV_DIR] [extra pytest args...]
# VENV_DIR defaults to a temporary virtualenv; the client package and pytest are
# installed into it when missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"

if [[ $# -ge 1 && -n "$1" ]]; then
    venv="$(realpath -m -- "$1")" # absolute, as the suite runs from client/
    shift
else
    venv="$(mktemp -d)/venv"
    trap 'rm -rf "$(dirname "$venv")"' EXIT
fi

if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import tiauth_faroe.client, pytest" 2>/dev/null; then
    "$venv/bin/python" -m pip install --quiet -e "$here/client" "pytest>=7"
fi

cd "$here/client"
exec "$venv/bin/python" -m pytest -p no:cacheprovider tests/integration "$@"
