"""``python -m tiauth_faroe.server [flags]`` runs the installed ``tiauth``."""

import os
import subprocess
import sys

from tiauth_faroe.server import binary_path


def main() -> None:
    path = str(binary_path())
    if sys.platform == "win32":
        raise SystemExit(subprocess.call([path, *sys.argv[1:]]))
    os.execv(path, [path, *sys.argv[1:]])


if __name__ == "__main__":
    main()
