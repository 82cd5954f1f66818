#!/bin/sh
# Print the path of a Python 3.12+ interpreter, or explain what to install.
# Order: active python3.13, python3.12, python3 on PATH, then pyenv's installed
# versions (newest first). pyenv shims of versions that are not selected fail
# to run, so every candidate is tried, not just looked up.
ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }

for name in python3.13 python3.12 python3; do
    if command -v "$name" >/dev/null 2>&1 && ok "$name"; then
        command -v "$name"
        exit 0
    fi
done

root=$(pyenv root 2>/dev/null) || root=${PYENV_ROOT:-$HOME/.pyenv}
if [ -d "$root/versions" ]; then
    for version in $(ls "$root/versions" 2>/dev/null | grep -E '^3\.[0-9]+' | sort -t. -k2,2nr -k3,3nr); do
        candidate="$root/versions/$version/bin/python3"
        if [ -x "$candidate" ] && ok "$candidate"; then
            echo "$candidate"
            exit 0
        fi
    done
fi

cat >&2 <<'MSG'
error: taskmaestro needs Python 3.12 or newer, and none was found.
Looked for python3.13, python3.12 and python3 on PATH, and in pyenv's versions.
Install one, for example `pyenv install 3.12` or from https://www.python.org/downloads/,
then run make again (or run `make PYTHON=/path/to/python3.12 ...`).
MSG
exit 1
