"""Command line: ``tiauth-faroe-sync-reference-server [--host H] [--port P] [--db PATH]``."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import List, Optional

from .server import RemoteAddressRefused, run


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(
        prog="tiauth-faroe-sync-reference-server",
        description=(
            "Reference user server for Tiauth Faroe (/invoke, /email, /command), for tests "
            "and development only: /command has no authentication and can read "
            "verification codes, list users and inject faults."
        ),
    )
    parser.add_argument("--host", default="127.0.0.2",
                        help="loopback address to bind (default 127.0.0.2); others need --allow-remote")
    parser.add_argument("--port", type=int, default=8079, help="port to bind (default 8079; 0 = any free port)")
    parser.add_argument("--db", default=":memory:", help="SQLite database file (default: in memory)")
    parser.add_argument("--quiet", action="store_true", help="no access log or effect log")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a non-loopback --host (exposes the unauthenticated /command)")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        run(args.host, args.port, args.db, verbose=not args.quiet, allow_remote=args.allow_remote)
    except RemoteAddressRefused as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
