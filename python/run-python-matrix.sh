#!/usr/bin/env bash
# Runs the unit suites (run-unit-tests.sh, without the type checks) on every
# CPython >= 3.10 found on this machine, each in a temporary venv, and lists the
# versions tested. Usage: run-python-matrix.sh [--skip-version X.Y.Z]...
# (skip versions already tested elsewhere, e.g. the default interpreter's).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
skip=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --skip-version) skip+=("$2"); shift 2 ;;
        *) echo "usage: $0 [--skip-version X.Y.Z]..." >&2; exit 2 ;;
    esac
done

# Candidates: versioned names on PATH and pyenv installs; one per exact version.
candidates=()
for minor in 10 11 12 13 14 15; do
    if command -v "python3.$minor" >/dev/null 2>&1; then
        candidates+=("$(command -v "python3.$minor")")
    fi
done
for interpreter in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/*/bin/python3; do
    [[ -x "$interpreter" ]] && candidates+=("$interpreter")
done

declare -A seen=()
for version in "${skip[@]}"; do seen[$version]=1; done
tested=()
failed=()
for interpreter in "${candidates[@]}"; do
    version="$("$interpreter" -c 'import platform, sys; print(platform.python_version() if platform.python_implementation() == "CPython" and sys.version_info >= (3, 10) else "")' 2>/dev/null || true)"
    [[ -n "$version" && -z "${seen[$version]:-}" ]] || continue
    seen[$version]=1
    work="$(mktemp -d)"
    if PYTHON="$interpreter" TYPECHECK=0 "$here/run-unit-tests.sh" "$work/venv"; then
        tested+=("$version")
    else
        failed+=("$version")
    fi
    rm -rf "$work"
done
echo "== Python matrix: passed on CPython ${tested[*]:-(none)}${skip[*]:+ (also tested elsewhere: ${skip[*]})}"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "== Python matrix: FAILED on CPython ${failed[*]}"
    exit 1
fi
