"""Reference user server for Tiauth Faroe (standard library only).

Run it with ``tiauth-faroe-sync-reference-server`` or
``python -m tiauth_faroe.sync_reference_server``; embed it with
:func:`create_server`.
"""

from .app import ReferenceServerState
from .server import ReferenceHTTPServer, create_server, run
from .store import UserStore

__all__ = ["ReferenceServerState", "ReferenceHTTPServer", "UserStore", "create_server", "run"]
