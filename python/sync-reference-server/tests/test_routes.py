"""Routes, user actions, e-mails and the /command vocabulary of the reference server."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import threading
import time

import pytest

from conftest import Running

HASH = base64.b64encode(b"secret-hash-bytes").decode()
SALT = base64.b64encode(b"secret-salt-1234").decode()
ALG = "argon2id.3.65536.1.32"


def create_user(srv, email):
    return srv.invoke(
        "create_user",
        email_address=email,
        password_hash=HASH,
        password_hash_algorithm_id=ALG,
        password_salt=SALT,
    )


def created_id(srv, email):
    status, body = create_user(srv, email)
    assert status == 200 and body["ok"] is True, body
    return body["values"]["user"]["id"]


# --- plain routes --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/health"])
def test_health(srv, path):
    status, headers, body = srv.raw("GET", path)
    assert status == 200
    assert body == b'{"status":"ok"}'
    assert headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("method,path", [("GET", "/nope"), ("POST", "/nope"), ("GET", "/invoke")])
def test_unknown_routes_are_404(srv, method, path):
    status, _, body = srv.raw(method, path, b"{}" if method == "POST" else None)
    assert status == 404
    assert json.loads(body) == {"error": "Not Found", "status_code": 404}


def test_unsupported_method_is_json_501(srv):
    status, headers, body = srv.raw("PUT", "/invoke", b"{}")
    assert status == 501
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["status_code"] == 501


@pytest.mark.parametrize("path", ["/auth/clear_tables", "/auth/prepare_user"])
def test_auth_management_routes(srv, path):
    created_id(srv, "a@x.y")
    assert srv.post(path, {}) == (200, {})
    users = srv.command("get_users")[1]["users"]
    assert len(users) == (0 if path == "/auth/clear_tables" else 1)


@pytest.mark.parametrize("path", ["/invoke", "/email", "/command"])
@pytest.mark.parametrize("raw", [b"", b"{", b"\xff\xfe", b'{"a": 1,}'])
def test_bad_json_is_400(srv, path, raw):
    status, _, body = srv.raw("POST", path, raw)
    assert status == 400
    assert json.loads(body) == {"error": "Invalid JSON body", "status_code": 400}


@pytest.mark.parametrize("path", ["/email", "/command"])
def test_non_object_body_is_400(srv, path):
    assert srv.post(path, [1]) == (400, {"error": "Request body must be a JSON object", "status_code": 400})


def test_bad_content_length_is_400(srv):
    status, _, body = srv.raw("POST", "/invoke", None, {"Content-Length": "abc"})
    assert status == 400
    assert json.loads(body)["error"] == "Invalid Content-Length"


def test_query_string_is_ignored_for_routing(srv):
    assert srv.raw("GET", "/health?x=1")[0] == 200


# --- /invoke ---------------------------------------------------------------------


def test_create_and_get_user(srv):
    status, body = create_user(srv, "alice@example.com")
    assert status == 200
    assert body["ok"] is True
    assert len(body["action_invocation_id"]) == 24
    assert body["values"]["user"] == {
        "id": "1_alice",
        "email_address": "alice@example.com",
        "password_hash": HASH,
        "password_hash_algorithm_id": ALG,
        "password_salt": SALT,
        "disabled": False,
        "display_name": "",
        "email_address_counter": 0,
        "password_hash_counter": 0,
        "disabled_counter": 0,
        "sessions_counter": 0,
    }
    assert srv.invoke("get_user", user_id="1_alice")[1]["values"] == body["values"]
    assert srv.invoke("get_user_by_email_address", email_address="alice@example.com")[1]["values"] == body["values"]


def test_invoke_alias_route(srv):
    created_id(srv, "alice@example.com")
    status, body = srv.post("/auth/invoke_user_action", {"action": "get_user", "arguments": {"user_id": "1_alice"}})
    assert status == 200 and body["ok"] is True


def test_lookups_not_found_and_case_sensitive(srv):
    created_id(srv, "alice@example.com")
    for action, args in [
        ("get_user", {"user_id": "2_alice"}),
        ("get_user_by_email_address", {"email_address": "Alice@example.com"}),
    ]:
        status, body = srv.invoke(action, **args)
        assert status == 200
        assert body["ok"] is False and body["error_code"] == "user_not_found"
        assert list(body) == ["ok", "action_invocation_id", "error_code"]


def test_duplicate_email_is_already_used(srv):
    created_id(srv, "alice@example.com")
    status, body = create_user(srv, "alice@example.com")
    assert (status, body["ok"], body["error_code"]) == (200, False, "email_address_already_used")
    assert len(srv.command("get_users")[1]["users"]) == 1


def test_ids_count_per_local_part_and_are_never_reused(srv):
    assert created_id(srv, "alice@a.example") == "1_alice"
    assert created_id(srv, "alice@b.example") == "2_alice"
    assert created_id(srv, "bob@a.example") == "1_bob"
    assert srv.invoke("delete_user", user_id="2_alice")[1]["ok"] is True
    assert created_id(srv, "alice@c.example") == "3_alice"
    srv.command("clear_all")
    assert created_id(srv, "alice@d.example") == "4_alice"
    srv.post("/auth/clear_tables", {})
    assert created_id(srv, "alice@e.example") == "5_alice"


def test_local_parts_with_sql_and_like_characters(srv):
    assert created_id(srv, "o'brien@x.example") == "1_o'brien"
    assert created_id(srv, "a_b@x.example") == "1_a_b"
    assert created_id(srv, "ab@x.example") == "1_ab"
    assert created_id(srv, "Ab@x.example") == "1_Ab"
    assert created_id(srv, "a%@x.example") == "1_a%"
    assert created_id(srv, "x'; DROP TABLE user; --@x.example") == "1_x'; DROP TABLE user; --"
    assert created_id(srv, "o'brien@y.example") == "2_o'brien"
    assert len(srv.command("get_users")[1]["users"]) == 7


def test_update_email_address(srv):
    created_id(srv, "alice@example.com")
    created_id(srv, "bob@example.com")
    ok = srv.invoke("update_user_email_address", user_id="1_alice", email_address="new@example.com", user_email_address_counter=0)
    assert ok[1]["ok"] is True and ok[1]["values"] == {}
    user = srv.invoke("get_user", user_id="1_alice")[1]["values"]["user"]
    assert (user["email_address"], user["email_address_counter"]) == ("new@example.com", 1)
    stale = srv.invoke("update_user_email_address", user_id="1_alice", email_address="x@example.com", user_email_address_counter=0)
    assert stale[1]["error_code"] == "user_not_found"
    conflict = srv.invoke("update_user_email_address", user_id="1_alice", email_address="bob@example.com", user_email_address_counter=1)
    assert conflict[1]["error_code"] == "email_address_already_used"
    missing = srv.invoke("update_user_email_address", user_id="9_zed", email_address="z@example.com", user_email_address_counter=0)
    assert missing[1]["error_code"] == "user_not_found"
    user = srv.invoke("get_user", user_id="1_alice")[1]["values"]["user"]
    assert (user["email_address"], user["email_address_counter"]) == ("new@example.com", 1)


def test_update_password_hash(srv):
    created_id(srv, "alice@example.com")
    new_hash = base64.b64encode(b"other-hash").decode()
    new_salt = base64.b64encode(b"other-salt").decode()
    args = dict(user_id="1_alice", password_hash=new_hash, password_hash_algorithm_id="alg2", password_salt=new_salt)
    assert srv.invoke("update_user_password_hash", **args, user_password_hash_counter=0)[1]["ok"] is True
    user = srv.invoke("get_user", user_id="1_alice")[1]["values"]["user"]
    assert (user["password_hash"], user["password_salt"], user["password_hash_algorithm_id"], user["password_hash_counter"]) == (new_hash, new_salt, "alg2", 1)
    assert srv.invoke("update_user_password_hash", **args, user_password_hash_counter=0)[1]["error_code"] == "user_not_found"
    args["user_id"] = "2_alice"
    assert srv.invoke("update_user_password_hash", **args, user_password_hash_counter=0)[1]["error_code"] == "user_not_found"


def test_increment_sessions_counter_and_delete(srv):
    created_id(srv, "alice@example.com")
    assert srv.invoke("increment_user_sessions_counter", user_id="1_alice", user_sessions_counter=0)[1]["ok"] is True
    assert srv.invoke("increment_user_sessions_counter", user_id="1_alice", user_sessions_counter=0)[1]["error_code"] == "user_not_found"
    assert srv.invoke("get_user", user_id="1_alice")[1]["values"]["user"]["sessions_counter"] == 1
    assert srv.invoke("delete_user", user_id="1_alice")[1]["ok"] is True
    assert srv.invoke("delete_user", user_id="1_alice")[1]["error_code"] == "user_not_found"
    assert srv.invoke("increment_user_sessions_counter", user_id="1_alice", user_sessions_counter=1)[1]["error_code"] == "user_not_found"


@pytest.mark.parametrize(
    "obj,message",
    [
        ({"action": "create_users", "arguments": {}}, "Unknown action create_users"),
        ({"action": "get_user", "arguments": {}}, "Invalid or missing 'user_id' field"),
        ({"action": "increment_user_sessions_counter", "arguments": {"user_id": "1_a", "user_sessions_counter": True}}, "Invalid or missing 'user_sessions_counter' field"),
        ({"action": "create_user", "arguments": {"email_address": "a@b.c", "password_hash": "!!", "password_hash_algorithm_id": "x", "password_salt": ""}}, "Invalid or missing 'password_hash' field"),
        ({"arguments": {}}, "Missing or invalid 'action' field"),
        ([], "Invalid request object"),
    ],
)
def test_bad_invoke_requests_are_400_json(srv, obj, message):
    assert srv.post("/invoke", obj) == (400, {"error": message, "status_code": 400})


# --- /email and tokens -------------------------------------------------------------


def test_email_tokens_are_popped(srv):
    body = {"type": "signup_verification", "email": "a@x.y", "code": "K7Q2MZ9D"}
    assert srv.post("/email", body) == (200, {"success": True})
    assert srv.command("get_token", action="signup_verification", email="a@x.y") == (200, {"found": True, "code": "K7Q2MZ9D"})
    assert srv.command("get_token", action="signup_verification", email="a@x.y") == (200, {"found": False})


def test_later_code_overwrites_and_types_are_separate(srv):
    srv.post("/email", {"type": "signup_verification", "email": "a@x.y", "code": "AAAAAAAA"})
    srv.post("/email", {"type": "signup_verification", "email": "a@x.y", "code": "BBBBBBBB"})
    srv.post("/email", {"type": "password_reset", "email": "a@x.y", "code": "CCCCCCCCCCCC"})
    assert srv.command("get_token", action="signup_verification", email="a@x.y")[1] == {"found": True, "code": "BBBBBBBB"}
    assert srv.command("get_token", action="password_reset", email="a@x.y")[1] == {"found": True, "code": "CCCCCCCCCCCC"}


def test_notifications_are_journaled_not_stored(srv):
    notice = {"type": "email_updated", "email": "old@x.y", "displayName": "Ann", "timestamp": "August 25, 2025 05:51:26", "newEmail": "new@x.y"}
    code = {"type": "email_update_verification", "email": "new@x.y", "code": "ABCDEFGH"}
    srv.post("/email", code)
    srv.post("/email", notice)
    assert srv.command("get_token", action="email_updated", email="old@x.y")[1] == {"found": False}
    emails = srv.command("get_emails")[1]["emails"]
    assert emails == [code, notice]
    assert list(emails[1]) == list(notice)


@pytest.mark.parametrize("body", [{"email": "a@x.y"}, {"type": "signup_verification"}, {"type": "", "email": "a@x.y"}])
def test_email_missing_type_or_email(srv, body):
    assert srv.post("/email", body) == (400, {"error": "Missing type or email", "status_code": 400})


def test_clear_tokens(srv):
    srv.post("/email", {"type": "t", "email": "a@x.y", "code": "c"})
    assert srv.command("clear_tokens") == (200, {"success": True})
    assert srv.command("get_token", action="t", email="a@x.y")[1] == {"found": False}


# --- /command ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body,message",
    [
        ({}, "Missing command"),
        ({"command": ""}, "Missing command"),
        ({"command": "reboot"}, "Unknown command: reboot"),
        ({"command": "get_token", "email": "a@x.y"}, "Missing action or email"),
        ({"command": "get_token", "action": "signup_verification"}, "Missing action or email"),
    ],
)
def test_command_errors(srv, body, message):
    assert srv.post("/command", body) == (400, {"error": message, "status_code": 400})


def test_get_calls_journal(srv):
    created_id(srv, "a@x.y")
    srv.invoke("get_user", user_id="1_a")
    srv.invoke("nope")
    calls = srv.command("get_calls")[1]["calls"]
    assert [c["action"] for c in calls] == ["create_user", "get_user", "nope"]
    assert calls[1] == {"action": "get_user", "arguments": {"user_id": "1_a"}}


def test_get_users_in_creation_order(srv):
    for email in ["zed@x.y", "amy@x.y", "mia@x.y"]:
        created_id(srv, email)
    users = srv.command("get_users")[1]["users"]
    assert [u["id"] for u in users] == ["1_zed", "1_amy", "1_mia"]
    assert list(users[0]) == [
        "id", "email_address", "password_hash", "password_hash_algorithm_id", "password_salt",
        "disabled", "display_name", "email_address_counter", "password_hash_counter",
        "disabled_counter", "sessions_counter",
    ]


def test_update_user(srv):
    created_id(srv, "a@x.y")

    def user():
        return srv.invoke("get_user", user_id="1_a")[1]["values"]["user"]

    assert srv.command("update_user", user_id="1_a", disabled=True) == (200, {"success": True})
    assert (user()["disabled"], user()["disabled_counter"]) == (True, 1)
    srv.command("update_user", user_id="1_a", disabled=True)
    assert user()["disabled_counter"] == 1
    srv.command("update_user", user_id="1_a", disabled=False, display_name="Ann")
    assert (user()["disabled"], user()["disabled_counter"], user()["display_name"]) == (False, 2, "Ann")
    assert srv.command("update_user", user_id="2_a", disabled=True) == (404, {"error": "User not found", "status_code": 404})
    assert srv.command("update_user", disabled=True)[0] == 400
    assert srv.command("update_user", user_id="1_a", disabled="yes")[0] == 400
    assert srv.command("update_user", user_id="1_a", display_name=3)[0] == 400


def test_invoke_faults(srv):
    created_id(srv, "a@x.y")
    srv.command("set_fault", target="get_user", fault={"kind": "error_code", "error_code": "internal_error"})
    status, body = srv.invoke("get_user", user_id="1_a")
    assert status == 200 and body["ok"] is False and body["error_code"] == "internal_error"
    assert len(body["action_invocation_id"]) == 24

    srv.command("set_fault", target="get_user", fault={"kind": "http_500"})
    assert srv.invoke("get_user", user_id="1_a") == (500, {"error": "Internal Server Error", "status_code": 500})

    srv.command("set_fault", target="get_user", fault={"kind": "malformed_json"})
    assert srv.raw("POST", "/invoke", json.dumps({"action": "get_user", "arguments": {"user_id": "1_a"}}).encode())[::2] == (200, b'{"ok": tru')

    srv.command("set_fault", target="get_user", fault={"kind": "wrong_envelope"})
    assert srv.invoke("get_user", user_id="1_a") == (200, {"status": "ok"})

    # other actions are unaffected; faulted calls change no state
    srv.command("set_fault", target="create_user", fault={"kind": "http_500"})
    assert create_user(srv, "b@x.y")[0] == 500
    assert [u["id"] for u in srv.command("get_users")[1]["users"]] == ["1_a"]
    assert srv.invoke("get_user_by_email_address", email_address="a@x.y")[1]["ok"] is True

    assert srv.command("clear_faults") == (200, {"success": True})
    assert srv.invoke("get_user", user_id="1_a")[1]["ok"] is True
    assert created_id(srv, "b@x.y") == "1_b"


def test_delay_fault_then_normal_answer(srv):
    created_id(srv, "a@x.y")
    srv.command("set_fault", target="get_user", fault={"kind": "delay", "milliseconds": 150})
    started = time.monotonic()
    status, body = srv.invoke("get_user", user_id="1_a")
    assert time.monotonic() - started >= 0.15
    assert status == 200 and body["ok"] is True


def test_email_faults(srv):
    mail = {"type": "signup_verification", "email": "a@x.y", "code": "AAAAAAAA"}
    srv.command("set_fault", target="email", fault={"kind": "error_code", "error_code": "smtp_down"})
    assert srv.post("/email", mail) == (500, {"error": "smtp_down", "status_code": 500})
    srv.command("set_fault", target="email", fault={"kind": "http_500"})
    assert srv.post("/email", mail) == (500, {"error": "Internal Server Error", "status_code": 500})
    srv.command("set_fault", target="email", fault={"kind": "wrong_envelope"})
    assert srv.post("/email", mail) == (200, {"status": "ok"})
    srv.command("set_fault", target="email", fault={"kind": "malformed_json"})
    assert srv.raw("POST", "/email", json.dumps(mail).encode())[::2] == (200, b'{"ok": tru')
    assert srv.command("get_token", action="signup_verification", email="a@x.y")[1] == {"found": False}
    srv.command("set_fault", target="email", fault={"kind": "delay", "milliseconds": 1})
    assert srv.post("/email", mail) == (200, {"success": True})
    assert srv.command("get_token", action="signup_verification", email="a@x.y")[1]["found"] is True


@pytest.mark.parametrize(
    "members,message",
    [
        ({"target": "get_users", "fault": {"kind": "http_500"}}, "Unknown fault target: get_users"),
        ({"fault": {"kind": "http_500"}}, "Unknown fault target: None"),
        ({"target": "email", "fault": {"kind": "explode"}}, None),
        ({"target": "email"}, None),
        ({"target": "email", "fault": {"kind": "error_code"}}, None),
        ({"target": "email", "fault": {"kind": "delay", "milliseconds": -1}}, None),
        ({"target": "email", "fault": {"kind": "delay", "milliseconds": True}}, None),
    ],
)
def test_invalid_faults(srv, members, message):
    status, body = srv.command("set_fault", **members)
    assert status == 400
    if message:
        assert body["error"] == message
    else:
        assert body["error"].startswith("Invalid fault")


def test_clear_all(srv):
    created_id(srv, "a@x.y")
    srv.post("/email", {"type": "t", "email": "a@x.y", "code": "c"})
    srv.command("set_fault", target="get_user", fault={"kind": "http_500"})
    assert srv.command("clear_all") == (200, {"success": True})
    assert srv.command("get_users")[1] == {"users": []}
    assert srv.command("get_emails")[1] == {"emails": []}
    assert srv.command("get_token", action="t", email="a@x.y")[1] == {"found": False}
    assert srv.invoke("get_user", user_id="1_a")[1]["error_code"] == "user_not_found"
    assert srv.command("get_calls")[1] == {"calls": [{"action": "get_user", "arguments": {"user_id": "1_a"}}]}


# --- concurrency, persistence, logging, CLI -------------------------------------------


def test_concurrent_creates_and_increments(srv):
    errors = []

    def create_many(worker):
        for i in range(10):
            status, body = create_user(srv, f"same@{worker}-{i}.example")
            if status != 200 or body["ok"] is not True:
                errors.append(body)

    threads = [threading.Thread(target=create_many, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ids = sorted(u["id"] for u in srv.command("get_users")[1]["users"])
    assert ids == sorted(f"{n}_same" for n in range(1, 61))

    successes = []

    def increment_many():
        count = 0
        for _ in range(15):
            counter = srv.invoke("get_user", user_id="1_same")[1]["values"]["user"]["sessions_counter"]
            if srv.invoke("increment_user_sessions_counter", user_id="1_same", user_sessions_counter=counter)[1]["ok"]:
                count += 1
        successes.append(count)

    threads = [threading.Thread(target=increment_many) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = srv.invoke("get_user", user_id="1_same")[1]["values"]["user"]["sessions_counter"]
    assert final == sum(successes) > 0


def test_file_database_keeps_users_and_id_counters(tmp_path):
    db = str(tmp_path / "users.sqlite")
    first = Running(db)
    try:
        assert created_id(first, "alice@a.example") == "1_alice"
        assert created_id(first, "alice@b.example") == "2_alice"
        first.invoke("delete_user", user_id="2_alice")
    finally:
        first.stop()
    second = Running(db)
    try:
        assert second.invoke("get_user", user_id="1_alice")[1]["ok"] is True
        assert created_id(second, "alice@c.example") == "3_alice"
    finally:
        second.stop()


def test_verbose_logs_never_show_hashes_or_codes(capsys):
    running = Running(verbose=True)
    try:
        created_id(running, "a@x.y")
        running.invoke("update_user_password_hash", user_id="1_a", password_hash=HASH, password_hash_algorithm_id=ALG, password_salt=SALT, user_password_hash_counter=0)
        running.post("/email", {"type": "password_reset", "email": "a@x.y", "code": "SECRETCODE12"})
    finally:
        running.stop()
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert "CreateUserEffect" in output and "Stored token: password_reset:a@x.y" in output
    for secret in [HASH, SALT, "secret-hash-bytes", "secret-salt-1234", "SECRETCODE12", repr(b"secret-hash-bytes")]:
        assert secret not in output


def test_command_line_entry_point():
    process = subprocess.Popen(
        [sys.executable, "-m", "tiauth_faroe.sync_reference_server", "--host", "127.0.0.1", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline().strip()
        assert line.startswith("Server running on 127.0.0.1:")
        port = int(line.rsplit(":", 1)[1])
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/health")
        assert connection.getresponse().read() == b'{"status":"ok"}'
        connection.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def test_internal_failure_is_json_500(srv, caplog):
    def broken(effect):
        raise RuntimeError("boom")

    srv.server.state.store.execute_effect = broken
    assert srv.invoke("get_user", user_id="1_a") == (500, {"error": "Internal Server Error", "status_code": 500})
    assert srv.raw("GET", "/health")[0] == 200  # still serving
    assert re.search(r"GetUserEffect \(action invocation [a-z2-9]{24}\) failed: RuntimeError: boom", caplog.text)


def test_malformed_request_line_is_json_400(srv):
    import socket

    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(b"GET / XYZ/1.0\r\n\r\n")
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    # The version is unknown, so the stdlib answers HTTP/0.9-style: body only.
    body = data.rpartition(b"\r\n\r\n")[2]
    assert json.loads(body) == {"error": "Bad request version ('XYZ/1.0')", "status_code": 400}


def test_the_journal_keeps_only_the_latest_entries():
    from tiauth_faroe.sync_reference_server import app

    state = app.ReferenceServerState()
    state._emails = app.deque(maxlen=3)
    for n in range(5):
        state.email(json.dumps({"type": "signin_notification", "email": f"{n}@x.y"}).encode())
    assert [e["email"] for e in state._emails] == ["2@x.y", "3@x.y", "4@x.y"]
    assert app.JOURNAL_LIMIT == 10_000
    fresh = app.ReferenceServerState()
    assert fresh._emails.maxlen == app.JOURNAL_LIMIT and fresh._calls.maxlen == app.JOURNAL_LIMIT
    fresh.close()
    state.close()
