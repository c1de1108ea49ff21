"""Issue 10's security regressions, each as an attacker would try it against the API
(SQLite archive, real loopback link): one test per hole, named after it."""

from __future__ import annotations

import json
import sqlite3
import threading
import time

import pytest

from ilrs.errors import PermissionDeniedError
from ilrs.ops.archive import EventRecord, open_archive
from ilrs.ops.commanding.commander import Commander
from ilrs.ops.processing.processor import Processor
from ilrs.ops.security import tokens as tokens_module
from ilrs.ops.security.audit import AuditLog, verify
from ilrs.ops.security.policy import AccessPolicy
from ilrs.ops.security.tokens import TokenAuthenticator
from ilrs.ops.tmtc.packets import TmPacket
from ilrs.ops.tmtc.timecodes import CdsTime
from test_ops_api import CONFIG, DB, POWER, SEIS, T0_NS, S, hk, served_app
from test_ops_support import spacecraft_socket

env = pytest.fixture(served_app, name="env")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# 1 ------------------------------------------------------------------------------------


def test_one_admin_alone_cannot_pass_the_two_person_rule(env):
    client, service, h = env
    cmd = client.post("/api/commands", headers=h["root"],
                      json={"name": "power.shed_load", "arguments": {"load_w": 5}}).json()
    assert cmd["state"] == "awaiting_approval"
    # the admin tries to mint a token for a flight director, and for a viewer
    for victim in ("fd2", "vera"):
        minted = client.post("/api/tokens", headers=h["root"], json={"user": victim})
        assert minted.status_code == 403 and "only its owner" in minted.json()["detail"]
    assert client.post(f"/api/commands/{cmd['id']}/approve", headers=h["root"]).status_code == 403
    assert client.get(f"/api/commands/{cmd['id']}", headers=h["fd"]).json()["approver"] is None
    # nor can the server-side call be used for someone else
    with pytest.raises(PermissionDeniedError):
        service.tokens.issue("fd2", now_ns=T0_NS, by="root")
    # every credential event is in the audit log, refusals included
    records = client.get("/api/audit", headers=h["root"]).json()
    issued = [(r["user"], r["request"], r["outcome"].split(":")[0]) for r in records
              if r["action"] == "token.issue"]  # fmt: skip
    assert issued == [("root", {"user": "fd2"}, "denied"), ("root", {"user": "vera"}, "denied")]
    own = client.post("/api/tokens", headers=h["fd2"], json={}).json()
    assert client.get("/api/status", headers=_bearer(own["token"])).json()["user"] == "fd2"


def test_a_user_created_by_an_admin_enrols_itself_and_the_admin_cannot_use_it(env):
    client, service, h = env
    fd3 = {"name": "fd3", "partner": "cnsa", "roles": ["flight_director"]}
    assert client.post("/api/users", headers=h["fd"], json=fd3).status_code == 403
    created = client.post("/api/users", headers=h["root"], json=fd3).json()
    assert created["enrolment"].startswith("ilrse_") and created["user"] == "fd3"
    assert client.post("/api/users", headers=h["root"], json=fd3).status_code == 422  # taken
    cmd = client.post("/api/commands", headers=h["root"],
                      json={"name": "power.shed_load", "arguments": {"load_w": 5}}).json()
    # the attack: the admin redeems the enrolment itself and approves its own command
    mine = client.post("/api/enrol", json={"enrolment": created["enrolment"]}).json()
    assert mine["user"] == "fd3"
    refused = client.post(f"/api/commands/{cmd['id']}/approve", headers=_bearer(mine["token"]))
    assert refused.status_code == 403 and "enrolled by the issuer" in refused.json()["detail"]
    assert client.post("/api/enrol", json={"enrolment": created["enrolment"]}).status_code == 401
    # the same token approves another person's command; it survives a restart of the service
    other = client.post("/api/commands", headers=h["fd"],
                        json={"name": "power.shed_load", "arguments": {"load_w": 5}}).json()
    ok = client.post(f"/api/commands/{other['id']}/approve", headers=_bearer(mine["token"]))
    assert ok.json()["approver"] == "fd3"
    again = TokenAuthenticator(service.archive, AccessPolicy(CONFIG, DB))
    from ilrs.ops.security.enrolment import Enrolments

    Enrolments(service.archive, again.policy, again)
    assert again.session(mine["token"]).enrolled_by == "root"
    events = [(r["user"], r["action"], r["outcome"].split(":")[0])
              for r in client.get("/api/audit", headers=h["root"]).json()]  # fmt: skip
    assert ("root", "user.create", "ok") in events and ("fd3", "token.enrol", "ok") in events
    assert ("anonymous", "token.enrol", "denied") in events
    assert ("fd3", "command.approve", "denied") in events


# 2 ------------------------------------------------------------------------------------


def _stream_until_closed(client, service, token: str, act) -> float:
    """Open a WebSocket with ``token``, keep telemetry flowing, call ``act()``; return the
    seconds from ``act`` to the server closing the socket (fails after 5 s)."""
    from starlette.websockets import WebSocketDisconnect

    stop = threading.Event()

    def feed() -> None:
        i = 0
        while not stop.wait(0.02):
            service.processor.ingest([hk(POWER, T0_NS + i * S, {"power.bus_v": 28.0},
                                         "power.hk")], reception_ns=T0_NS)  # fmt: skip
            i += 1

    feeder = threading.Thread(target=feed, daemon=True)
    with client.websocket_connect(f"/api/ws?token={token}") as ws:
        ws.send_json({"subscribe": ["power.bus_v"]})
        assert ws.receive_json()["type"] == "subscribed"
        feeder.start()
        assert ws.receive_json()["type"] == "parameter"
        t0 = time.monotonic()
        act()
        try:
            while time.monotonic() - t0 < 5:
                ws.receive_json()
        except WebSocketDisconnect as exc:
            assert exc.code == 4401
            return time.monotonic() - t0
        finally:
            stop.set()
            feeder.join()
    raise AssertionError("the WebSocket stayed open after its credential was withdrawn")


def test_revoking_a_token_or_disabling_a_user_ends_its_websocket(env):
    client, service, h = env
    token = client.post("/api/tokens", headers=h["chen"], json={}).json()
    after = _stream_until_closed(client, service, token["token"], lambda: client.delete(
        f"/api/tokens/{token['id']}", headers=h["root"]).raise_for_status())  # fmt: skip
    assert after < 1.0
    chen = h["chen"]["Authorization"].removeprefix("Bearer ")
    after = _stream_until_closed(client, service, chen, lambda: client.post(
        "/api/users/chen/disable", headers=h["root"]).raise_for_status())  # fmt: skip
    assert after < 1.0
    assert client.get("/api/status", headers=h["chen"]).status_code == 401
    assert client.post("/api/users/chen/enable", headers=h["root"]).status_code == 200
    assert client.get("/api/status", headers=h["chen"]).status_code == 200
    actions = [r["action"] for r in client.get("/api/audit", headers=h["root"]).json()]
    assert actions == ["token.issue", "token.revoke", "user.disable", "user.enable"]


# 4 ------------------------------------------------------------------------------------


def test_events_are_filtered_before_paging_and_every_list_pages(env):
    client, service, h = env
    service.archive.append_events([EventRecord(T0_NS + i, "x", "info", f"cnsa {i}", POWER)
                                   for i in range(1200)])  # fmt: skip
    service.archive.append_events([EventRecord(T0_NS + 2000 + i, "x", "info", f"pk {i}", SEIS)
                                   for i in range(5)])  # fmt: skip
    mine = client.get("/api/events", headers=h["ali"]).json()
    assert [e["message"] for e in mine] == [f"pk {i}" for i in range(5)]
    # the lead pages through all 1,205 with the cursor
    seen, cursor = [], None
    while True:
        r = client.get("/api/events", headers=h["fd"],
                       params={"limit": 500, **({"cursor": cursor} if cursor else {})})
        seen += [e["message"] for e in r.json()]
        cursor = r.headers.get("X-Next-Cursor")
        if cursor is None:
            break
    assert len(seen) == 1205 and len(set(seen)) == 1205 and seen[-1] == "pk 4"
    # packets, command history, audit and alarms page the same way
    service.processor.ingest([hk(POWER, T0_NS + i * S, {"power.bus_v": 33.0 + i}, "power.hk")
                              for i in range(3)], reception_ns=T0_NS)  # fmt: skip
    for _ in range(3):
        client.post("/api/commands", headers=h["fd"],
                    json={"name": "power.shed_load", "arguments": {"load_w": 1}})  # fmt: skip
    window = {"start": "2029-12-31T00:00:00Z", "stop": "2030-01-02T00:00:00Z"}
    for path, params, total in (("/api/packets", window, 3), ("/api/commands", {}, 3),
                                ("/api/audit", {}, 3), ("/api/alarms", {}, 1)):  # fmt: skip
        first = client.get(path, headers=h["root"], params={**params, "limit": 1})
        assert len(first.json()) == 1
        assert (first.headers.get("X-Next-Cursor") is not None) == (total > 1), path
        if total > 1:
            key = "after_seq" if path == "/api/audit" else "cursor"
            rest = client.get(path, headers=h["root"], params={
                **params, key: first.headers["X-Next-Cursor"]}).json()  # fmt: skip
            assert len(rest) == total - 1 and rest[0] != first.json()[0], path


# 5 ------------------------------------------------------------------------------------

WINDOW = "start=2030-01-01T00:00:00Z&stop=2030-01-02T00:00:00Z"
BAD_GETS = [
    ("/api/parameters/power.bus_v/samples?start=2030-01-01&stop=2300-01-01T00:00:00Z", "stop"),
    ("/api/parameters/power.bus_v/samples?start=1500-01-01&stop=2030-01-01", "start"),
    ("/api/parameters/power.bus_v/downsample?start=2030-01-02&stop=2030-01-01", "stop"),
    ("/api/parameters/power.bus_v/downsample?start=2030-01-01&stop=2030-01-01", "stop"),
    ("/api/parameters/power.bus_v/downsample?start=2030-01-01&stop=9999-12-31", "stop"),
    (f"/api/parameters/power.bus_v/downsample?{WINDOW}&buckets=0", "query.buckets"),
    (f"/api/parameters/power.bus_v/samples?{WINDOW}&limit=-1", "query.limit"),
    ("/api/audit?after_seq=9223372036854775808", "query.after_seq"),
    ("/api/audit?after_seq=-9223372036854775809", "query.after_seq"),
    ("/api/events?stop=2300-01-01T00:00:00Z", "stop"),
    ("/api/events?start=0001-01-01T00:00:00Z", "start"),
    ("/api/events?start=not-a-time", "start"),
    ("/api/events?cursor=1:2:3", "cursor"),
    ("/api/events?cursor=99999999999999999999:1", "cursor"),
    (f"/api/packets?{WINDOW}&apid=99999999999999999999", "query.apid"),
    (f"/api/packets?{WINDOW}&apid=-1", "query.apid"),
    ("/api/packets?start=2030-01-01&stop=2300-01-01", "stop"),
    ("/api/commands?cursor=x", "cursor"),
    ("/api/commands?limit=100000000", "query.limit"),
]
BAD_POSTS = [
    ("/api/commands", '{"name": "power.shed_load", "arguments": {"load_w": NaN}}',
     "body.arguments"),
    ("/api/commands", '{"name": "power.shed_load", "arguments": {"load_w": Infinity}}',
     "body.arguments"),
    ("/api/commands", '{"name": "power.shed_load", "arguments": {"load_w": 1e400}}',
     "body.arguments"),
    ("/api/commands", '{"name": "seis.set_gain", "arguments": {"gain": 1e30}}', "gain"),
    ("/api/commands", '{"name": "power.shed_load", "release_at_utc": "2300-01-01T00:00:00Z",'
     ' "arguments": {"load_w": 1}}', "release_at_utc"),
    ("/api/commands", '{"name": 5}', "body.name"),
    ("/api/commands", "[1, 2", "body"),
    ("/api/alarms/power.bus_v/shelve", '{"duration_s": NaN}', "body.duration_s"),
    ("/api/alarms/power.bus_v/shelve", '{"duration_s": 1e300}', "body.duration_s"),
    ("/api/tokens", '{"user": NaN}', "body.user"),
]


@pytest.mark.parametrize(("path", "field"), BAD_GETS)
def test_bad_query_gets_a_4xx_naming_the_field(env, path, field):
    client, _, h = env
    r = client.get(path, headers=h["root"])
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["field"].startswith(field) or field in r.json()["detail"]


@pytest.mark.parametrize(("path", "body", "field"), BAD_POSTS)
def test_bad_body_gets_a_4xx_naming_the_field_and_keeps_the_connection(env, path, body, field):
    client, _, h = env
    r = client.post(path, headers={**h["root"], "Content-Type": "application/json"},
                    content=body)  # fmt: skip
    assert 400 <= r.status_code < 500, r.text
    assert field in r.json()["field"] or field in r.json()["detail"]
    assert "NaN" not in r.text and "Infinity" not in r.text  # not echoed
    assert client.get("/api/status", headers=h["root"]).status_code == 200


# 6 and 7 --------------------------------------------------------------------------------


def test_a_large_rejected_body_is_audited_by_digest_only(env):
    client, service, h = env
    arguments = {f"a{i:05d}" + "y" * 500: 1.0 for i in range(60)}  # ~30 kB
    name = "x" * 180
    r = client.post("/api/commands", headers=h["vera"], json={"name": name,
                                                                "arguments": arguments})
    assert r.status_code == 422
    (record,) = service.archive.audit_records()
    assert len(record.request) + len(record.outcome) < 1200
    stored = json.loads(record.request)
    assert stored["size_bytes"] > 2048 and len(stored["sha256"]) == 64


def test_an_oversized_body_is_refused_before_authentication_or_reading(env):
    client, service, _ = env
    limit = service.settings.max_body_bytes
    r = client.post("/api/commands", content=b"{" + b" " * (8 * limit))
    assert r.status_code == 413 and r.json()["field"] == "body"
    # a chunked body (no Content-Length), at the ASGI level: read only up to the limit
    import asyncio

    received, sent = [], []

    async def receive() -> dict:
        received.append(1)  # 64 MiB if all 1,000 chunks were read
        return {"type": "http.request", "body": b" " * 65536, "more_body": len(received) < 1000}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/commands", "headers": [
        (b"transfer-encoding", b"chunked")], "query_string": b"", "http_version": "1.1",
        "scheme": "http", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1),
        "root_path": ""}  # fmt: skip
    asyncio.run(client.app(scope, receive, send))
    assert sent[0]["status"] == 413 and len(received) <= limit // 65536 + 1
    assert service.archive.audit_records() == []  # anonymous: nothing stored


# 8 ------------------------------------------------------------------------------------


def test_one_malformed_pus1_report_is_quarantined_alone(tmp_path):
    with open_archive(tmp_path / "a.db") as archive:
        processor = Processor(mdb=DB, archive=archive)
        processor.on_report = Commander(mdb=DB, policy=AccessPolicy(CONFIG, DB), archive=archive,
                                        transmit=lambda tc: None, latest=processor.latest_value,
                                        clock=lambda: T0_NS).on_report  # fmt: skip
        bad = TmPacket(apid=POWER, service=1, subservice=1, time=CdsTime.from_unix_s(T0_NS / S),
                       data=b"\x18").pack()  # fmt: skip
        raws = [hk(POWER, T0_NS, {"power.bus_v": 33.0}, "power.hk"), bad,
                hk(POWER, T0_NS + S, {"power.bus_v": 34.0}, "power.hk")]  # fmt: skip
        update = processor.ingest(raws, reception_ns=T0_NS)
        assert update.samples["power.bus_v"][1].tolist() == [33.0, 34.0]
        assert [m.state.value for m in update.alarms] == ["unacknowledged"]
        assert processor.stats.quarantined == 1 and processor.stats.samples == 2
        (event,) = [e for e in archive.events() if e.source == "ground/quarantine"]
        assert event.apid == POWER and "TM[1,1]" in event.message


# 9 ------------------------------------------------------------------------------------


def _tamper(path, *sql: str) -> None:
    """What an attacker with write access to the SQLite file does (triggers dropped)."""
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER IF EXISTS audit_no_update")
        conn.execute("DROP TRIGGER IF EXISTS audit_no_delete")
        for statement in sql:
            conn.execute(statement)


@pytest.mark.parametrize("attack", ["truncate", "rewrite", "extend", "forge anchor"])
def test_the_anchor_detects_truncation_rewrite_and_extension(tmp_path, attack):
    from ilrs.ops.security.anchor import AuditAnchor, load_or_create_key
    from ilrs.ops.security.audit import GENESIS, record_hash

    db = tmp_path / "a.db"
    anchor = AuditAnchor(tmp_path / "anchor.jsonl", load_or_create_key(tmp_path / "k.key"))
    with open_archive(db) as archive:
        log = AuditLog(archive, anchor=anchor)
        for i in range(5):
            log.record(user="ana", action="command.issue", request={"i": i}, outcome="ok",
                       time_ns=i)  # fmt: skip
        assert verify(archive, anchor=anchor).ok
    if attack == "truncate":
        _tamper(db, "DELETE FROM audit WHERE seq = 4")
    elif attack in ("rewrite", "extend"):
        # rewrite record 2 (or add record 5) and recompute every later hash: the chain links
        rows = sqlite3.connect(db).execute("SELECT seq, time_ns, user_name, action, request, "
                                           "outcome FROM audit ORDER BY seq").fetchall()
        if attack == "rewrite":
            rows[2] = (2, 2, "ana", "command.issue", '{"i":99}', "ok")
        else:
            rows.append((5, 5, "ana", "token.issue", '{"user":"fd2"}', "ok"))
        prev, statements = GENESIS, ["DELETE FROM audit"]
        for seq, t, user, action, request, outcome in rows:
            digest = record_hash(seq, t, user, action, request, outcome, prev)
            statements.append(f"INSERT INTO audit VALUES ({seq}, {t}, '{user}', '{action}', "
                              f"'{request}', '{outcome}', '{prev}', '{digest}')")
            prev = digest
        _tamper(db, *statements)
    else:  # a checkpoint signed with another key
        other = AuditAnchor(tmp_path / "forged.jsonl", b"x" * 32)
        for i, (digest,) in enumerate(sqlite3.connect(db).execute("SELECT hash FROM audit")):
            other.append(i, digest, time_ns=i)
        anchor.path.write_text(other.path.read_text())
    with open_archive(db) as archive:
        assert verify(archive).ok  # the hash chain alone cannot tell
        result = verify(archive, anchor=anchor)
    assert not result.ok
    from typer.testing import CliRunner

    from ilrs.cli.ops import app

    out = CliRunner().invoke(app, ["audit", "verify", "--db", str(db), "--anchor",
                                   str(anchor.path), "--key", str(tmp_path / "k.key")])
    assert out.exit_code == 1 and "BROKEN" in out.output


# 10 -----------------------------------------------------------------------------------


def test_a_wrong_secret_and_an_unknown_id_cost_the_same(tmp_path, monkeypatch):
    with open_archive(tmp_path / "a.db") as archive:
        tokens = TokenAuthenticator(archive, AccessPolicy(CONFIG, DB))
        good = tokens.issue("ali", now_ns=1)
        calls = []
        real = tokens_module.verify_token
        monkeypatch.setattr(tokens_module, "verify_token",
                            lambda secret, stored: calls.append(1) or real(secret, stored))
        cost = {}
        for label, secret in (("wrong secret", good.secret[:-4] + "AAAA"),
                              ("unknown id", "ilrs_0123456789abcdef_" + "A" * 43),
                              ("not a token", "hello")):  # fmt: skip
            calls.clear()
            assert tokens.authenticate(secret) is None
            cost[label] = len(calls)
        assert cost == {"wrong secret": 1, "unknown id": 1, "not a token": 1}


def test_link_counters_move_while_the_spacecraft_is_connected(env):
    client, service, h = env
    with spacecraft_socket(service) as sc:
        sc.sendall(b"\xff\xff" + hk(SEIS, T0_NS, {"seis.powered": 1, "seis.count": 1},
                                    "seis.hk"))  # fmt: skip
        deadline = time.monotonic() + 5
        while (link := client.get("/api/status", headers=h["fd"]).json()["link"])[
                "packets"] < 1:  # fmt: skip
            assert time.monotonic() < deadline
            time.sleep(0.01)
    assert link["bytes_dropped"] == 2 and link["bad_header"] == 1


def test_approve_or_cancel_of_a_foreign_command_tells_nothing(env):
    client, _, h = env
    cmd = client.post("/api/commands", headers=h["chen"],
                      json={"name": "power.shed_load", "arguments": {"load_w": 1}}).json()
    client.post(f"/api/commands/{cmd['id']}/cancel", headers=h["chen"]).raise_for_status()
    unknown = client.post("/api/commands/no-such-id/approve", headers=h["ali"])
    for verb in ("approve", "cancel"):
        r = client.post(f"/api/commands/{cmd['id']}/{verb}", headers=h["ali"])
        assert r.status_code == unknown.status_code == 404
        assert "rejected" not in r.text and cmd["id"] in r.json()["detail"]
    # a flight director (may approve) hears the state; an operator of the partner may not
    assert client.post(f"/api/commands/{cmd['id']}/approve", headers=h["fd2"]).status_code == 409
    r = client.post(f"/api/commands/{cmd['id']}/approve", headers=h["vera"])
    assert r.status_code == 404


# 11 -----------------------------------------------------------------------------------
# Issue 23: one admin alone, through run-time users, enrolment and self-issued tokens.


def _shed(client, headers) -> dict:
    cmd = client.post("/api/commands", headers=headers,
                      json={"name": "power.shed_load", "arguments": {"load_w": 5}}).json()
    assert cmd["state"] == "awaiting_approval"  # critical: needs a second person
    return cmd


def _puppet(client, h, name: str, *, by: str = "root", roles=("flight_director",)) -> dict:
    """A user ``by`` creates and enrols; it then issues itself a fresh token (which carries
    no mark of the enrolment), and that token is what it uses."""
    created = client.post("/api/users", headers=h[by] if by in h else _bearer(by),
                          json={"name": name, "partner": "cnsa", "roles": list(roles)})
    assert created.status_code == 201, created.text
    first = client.post("/api/enrol", json={"enrolment": created.json()["enrolment"]}).json()
    fresh = client.post("/api/tokens", headers=_bearer(first["token"]), json={}).json()
    assert fresh["user"] == name and fresh["id"] != first["id"]
    return _bearer(fresh["token"])


def _approve(client, headers, cmd):
    return client.post(f"/api/commands/{cmd['id']}/approve", headers=headers)


def test_an_admins_puppet_cannot_approve_the_admins_command_nor_the_reverse(env):
    client, _, h = env
    puppet = _puppet(client, h, "puppet1")
    cmd = _shed(client, h["root"])
    refused = _approve(client, puppet, cmd)
    assert refused.status_code == 403
    assert "root controls both accounts" in refused.json()["detail"]
    # the puppet issues and the admin approves: refused too
    theirs = _shed(client, puppet)
    assert _approve(client, h["root"], theirs).status_code == 403
    for c in (cmd, theirs):
        assert client.get(f"/api/commands/{c['id']}", headers=h["fd"]).json()["approver"] is None
    # an independent flight director of the configuration releases both
    for c in (cmd, theirs):
        ok = _approve(client, h["fd"], c)
        assert ok.status_code == 200 and ok.json()["approver"] == "fd"
    denied = [r for r in client.get("/api/audit", headers=h["root"]).json()
              if r["action"] == "command.approve" and r["outcome"].startswith("denied")]
    assert {r["user"] for r in denied} == {"puppet1", "root"}


def test_two_puppets_of_one_admin_cannot_approve_each_other(env):
    client, _, h = env
    a, b = _puppet(client, h, "puppet_a"), _puppet(client, h, "puppet_b")
    for issuer, approver in ((a, b), (b, a)):
        cmd = _shed(client, issuer)
        r = _approve(client, approver, cmd)
        assert r.status_code == 403 and "root controls both" in r.json()["detail"]


def test_a_puppet_admin_cannot_launder_a_second_generation_puppet(env):
    client, _, h = env
    # the admin creates an admin, which creates a flight director: still the admin's
    deputy = _puppet(client, h, "deputy", roles=("admin",))
    grandchild = _puppet(client, h, "grandchild", by=deputy["Authorization"][7:])
    for issuer in (h["root"], deputy):
        r = _approve(client, grandchild, _shed(client, issuer))
        assert r.status_code == 403 and "controls both accounts" in r.json()["detail"]


def test_a_run_time_user_still_approves_for_people_it_is_independent_of(env):
    client, service, h = env
    fd3 = _puppet(client, h, "fd_new")
    cmd = _shed(client, h["fd"])  # a configuration user's command
    ok = _approve(client, fd3, cmd)
    assert ok.status_code == 200 and ok.json()["approver"] == "fd_new"
    # the rule is rebuilt from the archive after a restart
    from ilrs.ops.security.enrolment import Enrolments

    policy = AccessPolicy(CONFIG, DB)
    again = Enrolments(service.archive, policy, TokenAuthenticator(service.archive, policy))
    assert again.two_person.controllers("fd_new") == {"fd_new", "root"}
    assert not again.two_person.independent("fd_new", "root")
    assert again.two_person.independent("fd_new", "fd")
