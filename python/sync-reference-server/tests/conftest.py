import http.client
import json
import threading

import pytest

from tiauth_faroe.sync_reference_server import create_server


class Running:
    """A reference server serving in a background thread, plus request helpers."""

    def __init__(self, db_path=":memory:", verbose=False):
        self.server = create_server("127.0.0.1", 0, db_path, verbose=verbose)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def raw(self, method, path, body=None, headers=None):
        """Returns (status, headers, body bytes)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def post(self, path, obj):
        status, _, body = self.raw(
            "POST", path, json.dumps(obj).encode(), {"Content-Type": "application/json"}
        )
        return status, (json.loads(body) if body else None)

    def invoke(self, action, **arguments):
        return self.post("/invoke", {"action": action, "arguments": arguments})

    def command(self, name, **members):
        return self.post("/command", {"command": name, **members})


@pytest.fixture
def srv():
    running = Running()
    yield running
    running.stop()
