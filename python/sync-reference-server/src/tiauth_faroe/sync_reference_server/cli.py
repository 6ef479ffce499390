"""Command line: ``tiauth-faroe-sync-reference-server [--host H] [--port P] [--db PATH]``."""

from __future__ import annotations

import argparse
from typing import List, Optional

from .server import run


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(
        prog="tiauth-faroe-sync-reference-server",
        description="Reference user server for Tiauth Faroe (/invoke, /email, /command).",
    )
    parser.add_argument("--host", default="127.0.0.2", help="address to bind (default 127.0.0.2)")
    parser.add_argument("--port", type=int, default=8079, help="port to bind (default 8079; 0 = any free port)")
    parser.add_argument("--db", default=":memory:", help="SQLite database file (default: in memory)")
    parser.add_argument("--quiet", action="store_true", help="no access log or effect log")
    args = parser.parse_args(argv)
    run(args.host, args.port, args.db, verbose=not args.quiet)


if __name__ == "__main__":
    main()
