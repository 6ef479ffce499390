"""Reference user server for Tiauth Faroe (standard library only), for tests and
development only: its ``/command`` route has no authentication.

Run it with ``tiauth-faroe-sync-reference-server`` or
``python -m tiauth_faroe.sync_reference_server``; embed it with
:func:`create_server`.
"""

from .app import ReferenceServerState
from .server import ReferenceHTTPServer, RemoteAddressRefused, create_server, run
from .store import UserStore

__all__ = [
    "ReferenceServerState",
    "ReferenceHTTPServer",
    "RemoteAddressRefused",
    "UserStore",
    "create_server",
    "run",
]
