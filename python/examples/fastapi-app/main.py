"""Runs the example: the public web API and the private user server (for tiauth).

    python main.py --tiauth-url http://127.0.0.1:3777 --db example.sqlite

The user server answers tiauth's ``/invoke`` and ``/email`` on 127.0.0.2 (where
tiauth looks for it, port ``--private-port``); the web API listens on ``--host`` /
``--port``. They are two listeners on purpose: ``/invoke`` hands out password
hashes and must never be reachable by web clients.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
from dataclasses import dataclass
from typing import List, Optional

import uvicorn

from tiauth_faroe.user_server.asgi import create_asgi_app

from users import Database, Outbox, UserStore
from web import create_web_app


@dataclass
class Example:
    """Everything the example runs, for embedding (the end-to-end test does)."""

    database: Database
    store: UserStore
    outbox: Outbox
    public: uvicorn.Server
    private: uvicorn.Server


def build(tiauth_url: str, db_path: str, secure_cookies: bool = True) -> Example:
    database = Database(db_path)
    store, outbox = UserStore(database), Outbox(database)
    user_server = create_asgi_app(store, outbox)  # /invoke and /email, in one line
    web = create_web_app(tiauth_url, store, secure_cookies)
    return Example(
        database, store, outbox,
        public=uvicorn.Server(uvicorn.Config(web, log_level="warning")),
        private=uvicorn.Server(uvicorn.Config(user_server, log_level="warning")),
    )


async def serve(example: Example, public: List[socket.socket], private: List[socket.socket]) -> None:
    await asyncio.gather(example.public.serve(public), example.private.serve(private))


def listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    return sock


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tiauth-url", default="http://127.0.0.1:3777", help="tiauth's action endpoint")
    parser.add_argument("--db", default="example.sqlite", help="SQLite file for users and the outbox")
    parser.add_argument("--host", default="127.0.0.1", help="address of the web API")
    parser.add_argument("--port", type=int, default=8000, help="port of the web API")
    parser.add_argument("--private-port", type=int, default=8079,
                        help="port of the user server on 127.0.0.2 (tiauth's --private-port)")
    parser.add_argument("--insecure-cookies", action="store_true",
                        help="cookies without the Secure flag, for plain-HTTP development")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    example = build(args.tiauth_url, args.db, secure_cookies=not args.insecure_cookies)
    public, private = listen(args.host, args.port), listen("127.0.0.2", args.private_port)
    print(f"web API on http://{args.host}:{public.getsockname()[1]}, "
          f"user server on http://127.0.0.2:{private.getsockname()[1]}", flush=True)
    try:
        asyncio.run(serve(example, [public], [private]))
    finally:
        example.database.close()


if __name__ == "__main__":
    main()
