"""The FastAPI app of ilrs.ops against a real SQLite archive and a real loopback link."""

from __future__ import annotations

import socket
import time
import warnings

import pytest

from ilrs.ops.api.app import create_app
from ilrs.ops.security.policy import AuthConfig
from ilrs.ops.service import OpsService, OpsSettings, ns_to_iso
from ilrs.ops.tmtc.codec import encode_container
from ilrs.ops.tmtc.mdb_build import mdb_from_elements
from ilrs.ops.tmtc.packets import (
    PacketKind,
    TcPacket,
    TmPacket,
    VerificationStage,
    verification_report,
)
from ilrs.ops.tmtc.stream import PacketStreamDecoder
from ilrs.ops.tmtc.timecodes import CdsTime
from test_ops_support import spacecraft_socket

with warnings.catch_warnings():
    # starlette 0.52's test client names anyio.abc.BlockingPortal, an alias anyio ≥ 4.16
    # deprecates; harmless, and only this import needs the exemption
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

S = 1_000_000_000
T0_NS = 1_893_456_000 * S
DB = mdb_from_elements([
    {"id": "power", "owner": "cnsa", "parameters": [
        {"name": "bus_v", "type": "float32", "unit": "V",
         "limits": {"yellow": {"low": 26, "high": 30}, "red": {"low": 24, "high": 32}}}],
     "commands": [{"name": "shed_load", "significance": "critical",
                   "arguments": [{"name": "load_w", "type": "float64", "min": 0}]}]},
    {"id": "seis", "owner": "pakistan", "kind": "payload",
     "parameters": [{"name": "powered", "type": "bool"}, {"name": "count", "type": "uint32"}],
     "commands": [{"name": "set_gain", "arguments": [
         {"name": "gain", "type": "uint8", "max": 15}]}]},
])  # fmt: skip
USERS = [("ali", "pakistan", "partner_operator"), ("vera", "pakistan", "viewer"),
         ("chen", "cnsa", "partner_operator"), ("fd", "cnsa", "flight_director"),
         ("fd2", "cnsa", "flight_director"), ("root", "cnsa", "admin")]  # fmt: skip
CONFIG = AuthConfig.model_validate({
    "partners": [{"id": "cnsa"}, {"id": "pakistan"}],
    "users": [{"name": n, "partner": p, "roles": [r]} for n, p, r in USERS],
})  # fmt: skip
SEIS, POWER = DB.apid_of("seis"), DB.apid_of("power")


class Clock:
    now_ns = T0_NS

    def __call__(self) -> int:
        return self.now_ns


def hk(apid, t_ns, values, container) -> bytes:
    return TmPacket(apid=apid, service=3, subservice=25, time=CdsTime.from_unix_s(t_ns / S),
                    data=encode_container(DB, container, values)).pack()  # fmt: skip


def served_app(tmp_path):
    """The app on a fresh SQLite archive with a loopback link: (client, service, headers
    per user); the ``env`` fixture (other test modules reuse it)."""
    settings = OpsSettings(archive_url=str(tmp_path / "ops.db"), mdb=DB, auth=CONFIG,
                           link_port=0, housekeeping_period_s=0.05,
                           derived=[{"name": "power.twice_v", "expression": "2 * power.bus_v",
                                     "inputs": ["power.bus_v"], "unit": "V"}])  # fmt: skip
    service = OpsService(settings, clock=Clock())
    tokens = {name: service.tokens.issue(name, now_ns=T0_NS).secret for name, _, _ in USERS}
    with TestClient(create_app(settings, service=service)) as client:
        yield client, service, {k: {"Authorization": f"Bearer {v}"} for k, v in tokens.items()}


env = pytest.fixture(served_app, name="env")


def test_openapi_is_published_and_tokens_are_required(env):
    client, _, h = env
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/commands", "/api/parameters/{name}/downsample", "/api/audit"} <= set(paths)
    assert client.get("/api/status").status_code == 401
    bad = {"Authorization": "Bearer ilrs_0000000000000000_nope"}
    assert client.get("/api/status", headers=bad).status_code == 401
    assert client.get("/api/status", headers=h["vera"]).json()["user"] == "vera"


def test_partner_sees_only_its_own_parameters(env):
    client, service, h = env
    service.processor.ingest([hk(POWER, T0_NS, {"power.bus_v": 28.0}, "power.hk"),
                              hk(SEIS, T0_NS, {"seis.powered": 1, "seis.count": 5}, "seis.hk")],
                             reception_ns=T0_NS)  # fmt: skip
    names = {p["name"] for p in client.get("/api/mdb/parameters", headers=h["ali"]).json()}
    assert names == {"seis.powered", "seis.count"}
    fd_names = {p["name"] for p in client.get("/api/mdb/parameters", headers=h["fd"]).json()}
    assert "power.twice_v" in fd_names
    got = client.get("/api/parameters/seis.count/latest", headers=h["vera"]).json()
    assert (got["value"], got["time"]) == (5.0, "2030-01-01T00:00:00.000000Z")
    assert client.get("/api/parameters/power.bus_v/latest", headers=h["ali"]).status_code == 403
    assert client.get("/api/parameters/power.twice_v/latest",
                      headers=h["ali"]).status_code == 403  # fmt: skip
    assert client.get("/api/parameters/nope/latest", headers=h["fd"]).status_code == 404
    packets = client.get("/api/packets", headers=h["ali"],
                         params={"start": "2029-12-31T00:00:00Z", "stop": "2030-01-02"}).json()
    assert [p["apid"] for p in packets] == [SEIS]


def test_archive_queries_with_downsampling(env):
    client, service, h = env
    raws = [hk(POWER, T0_NS + i * S, {"power.bus_v": 20.0 + i % 10}, "power.hk")
            for i in range(600)]  # fmt: skip
    service.processor.ingest(raws, reception_ns=T0_NS)
    window = {"start": ns_to_iso(T0_NS), "stop": ns_to_iso(T0_NS + 600 * S)}
    d = client.get("/api/parameters/power.bus_v/downsample", headers=h["fd"],
                   params={**window, "buckets": 60}).json()  # fmt: skip
    assert len(d["time"]) == 60 and d["min"] == [20.0] * 60 and d["max"] == [29.0] * 60
    assert d["count"] == [10] * 60
    s = client.get("/api/parameters/power.twice_v/samples", headers=h["fd"],
                   params={**window, "limit": 3}).json()  # fmt: skip
    assert s["value"] == [40.0, 42.0, 44.0] and s["truncated"]
    bad = client.get("/api/parameters/power.bus_v/samples", headers=h["fd"],
                     params={"start": "yesterday", "stop": "now"})  # fmt: skip
    assert bad.status_code == 422 and "ISO" in bad.json()["detail"]


def test_alarm_lifecycle_over_http(env):
    client, service, h = env
    service.processor.ingest([hk(POWER, T0_NS, {"power.bus_v": 33.0}, "power.hk")],
                             reception_ns=T0_NS)  # fmt: skip
    (alarm,) = client.get("/api/alarms", headers=h["chen"]).json()
    assert (alarm["parameter"], alarm["state"], alarm["severity"]) == (
        "power.bus_v", "unacknowledged", "critical")  # fmt: skip
    assert client.get("/api/alarms", headers=h["ali"]).json() == []
    assert client.post("/api/alarms/power.bus_v/acknowledge",
                       headers=h["ali"]).status_code == 403  # fmt: skip
    ack = client.post("/api/alarms/power.bus_v/acknowledge", headers=h["chen"]).json()
    assert ack["state"] == "acknowledged"
    shelved = client.post("/api/alarms/power.bus_v/shelve", headers=h["chen"],
                          json={"duration_s": 0.1})  # fmt: skip
    assert shelved.json()["state"] == "shelved"
    service.clock.now_ns += S  # the ticker expires the shelving
    deadline = time.monotonic() + 5
    while client.get("/api/alarms", headers=h["chen"]).json()[0]["state"] == "shelved":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    again = client.post("/api/alarms/power.bus_v/acknowledge", headers=h["vera"])
    assert again.status_code == 403  # a viewer cannot acknowledge
    log = [e["message"] for e in client.get("/api/events", headers=h["chen"]).json()]
    assert log[:3] == ["power.bus_v: normal → unacknowledged at 33",
                       "power.bus_v: unacknowledged → acknowledged at 33 by chen",
                       "power.bus_v: acknowledged → shelved at 33 by chen"]  # fmt: skip
    assert "unshelved" not in log[3] and log[3].startswith("power.bus_v: shelved →")
    assert client.get("/api/events", headers=h["ali"]).json() == []  # another partner's


def read_tc(sc: socket.socket) -> TcPacket:
    decoder = PacketStreamDecoder(PacketKind.TC)
    while True:
        packets = decoder.feed(sc.recv(4096))
        if packets:
            return TcPacket.unpack(packets[0])


def test_command_issue_release_verify_over_the_link(env):
    client, service, h = env
    with spacecraft_socket(service) as sc:
        r = client.post("/api/commands", headers=h["ali"],
                        json={"name": "seis.set_gain", "arguments": {"gain": 9}})  # fmt: skip
        assert r.status_code == 201
        cmd = r.json()
        assert cmd["state"] == "released" and cmd["user"] == "ali"
        tc = read_tc(sc)
        assert (tc.apid, tc.data) == (SEIS, b"\x09")
        for stage in (VerificationStage.ACCEPTED, VerificationStage.STARTED,
                      VerificationStage.COMPLETED):  # fmt: skip
            sc.sendall(verification_report(tc, stage, time=CdsTime.from_unix_s(T0_NS / S)).pack())
        deadline = time.monotonic() + 5
        while (state := client.get(f"/api/commands/{cmd['id']}",
                                   headers=h["vera"]).json()["state"]) == "released":  # fmt: skip
            assert time.monotonic() < deadline
            time.sleep(0.02)
    assert state == "completed"
    history = client.get("/api/commands", headers=h["chen"]).json()
    assert history == []  # another partner's command is not visible
    denied = client.post("/api/commands", headers=h["ali"],
                         json={"name": "power.shed_load", "arguments": {"load_w": 1}})  # fmt: skip
    assert denied.status_code == 403
    bad = client.post("/api/commands", headers=h["ali"],
                      json={"name": "seis.set_gain", "arguments": {"gain": 99}})  # fmt: skip
    assert bad.status_code == 422


def test_two_person_rule_over_http(env):
    client, _, h = env
    cmd = client.post("/api/commands", headers=h["fd"],
                      json={"name": "power.shed_load", "arguments": {"load_w": 100}}).json()
    assert cmd["state"] == "awaiting_approval"
    assert client.post(f"/api/commands/{cmd['id']}/approve", headers=h["fd"]).status_code == 403
    assert client.post(f"/api/commands/{cmd['id']}/approve", headers=h["chen"]).status_code == 403
    ok = client.post(f"/api/commands/{cmd['id']}/approve", headers=h["fd2"]).json()
    # approved, then released to a link without a spacecraft: recorded as failed
    assert ok["approver"] == "fd2" and ok["state"] == "failed"
    assert [s["stage"] for s in ok["stages"]][-3:] == ["approval", "released", "final"]


def test_audit_log_records_every_change_and_verifies(env):
    client, _, h = env
    client.post("/api/commands", headers=h["ali"],
                json={"name": "power.shed_load", "arguments": {"load_w": 1}})  # fmt: skip
    client.post("/api/alarms/power.bus_v/acknowledge", headers=h["chen"])
    assert client.get("/api/audit", headers=h["fd"]).status_code == 403
    records = client.get("/api/audit", headers=h["root"]).json()
    assert [(r["user"], r["action"], r["outcome"].split(":")[0]) for r in records] == [
        ("ali", "command.issue", "denied"), ("chen", "alarm.acknowledge", "error")]  # fmt: skip
    assert records[0]["request"] == {"name": "power.shed_load", "arguments": {"load_w": 1}}
    assert client.get("/api/audit/verify", headers=h["root"]).json()["ok"] is True


def test_tokens_issued_to_their_owner_and_revoked(env):
    client, _, h = env
    new = client.post("/api/tokens", headers=h["vera"], json={}).json()
    assert new["user"] == "vera"
    mine = {"Authorization": f"Bearer {new['token']}"}
    assert client.get("/api/status", headers=mine).json()["user"] == "vera"
    assert client.delete(f"/api/tokens/{new['id']}", headers=h["ali"]).status_code == 403
    assert client.delete(f"/api/tokens/{new['id']}", headers=h["root"]).status_code == 200
    assert client.get("/api/status", headers=mine).status_code == 401
    assert client.delete(f"/api/tokens/{new['id']}", headers=h["root"]).status_code == 404


def test_websocket_streams_parameters_and_alarms(env):
    client, service, h = env
    token = h["chen"]["Authorization"].removeprefix("Bearer ")
    with client.websocket_connect(f"/api/ws?token={token}") as ws:
        ws.send_json({"subscribe": ["power.bus_v", "seis.count"]})
        ack = ws.receive_json()
        assert ack == {"type": "subscribed", "names": ["power.bus_v"], "refused": ["seis.count"]}
        service.processor.ingest([hk(POWER, T0_NS, {"power.bus_v": 31.0}, "power.hk")],
                                 reception_ns=T0_NS)  # fmt: skip
        first, second = ws.receive_json(), ws.receive_json()
    assert (first["type"], first["value"], first["level"]) == ("parameter", [31.0], [1])
    assert (second["type"], second["state"], second["severity"]) == (
        "alarm", "unacknowledged", "warning")  # fmt: skip


def test_websocket_unsubscribe_stops_the_stream(env):
    client, service, h = env
    token = h["chen"]["Authorization"].removeprefix("Bearer ")
    with client.websocket_connect(f"/api/ws?token={token}") as ws:
        ws.send_json({"subscribe": ["power.bus_v"]})
        assert ws.receive_json()["names"] == ["power.bus_v"]
        ws.send_json({"unsubscribe": ["power.bus_v"]})
        assert ws.receive_json()["names"] == []
        service.processor.ingest([hk(POWER, T0_NS, {"power.bus_v": 28.0}, "power.hk")],
                                 reception_ns=T0_NS)  # fmt: skip
        ws.send_json({"subscribe": []})  # a round trip: nothing was queued before its ack
        assert ws.receive_json() == {"type": "subscribed", "names": [], "refused": []}


def test_websocket_refuses_without_token(env):
    client, _, _ = env
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/api/ws") as ws:
        ws.receive_json()


def test_settings_from_yaml_with_relative_files(tmp_path):
    import yaml

    from ilrs.errors import OpsConfigError
    from ilrs.ops.service import load_settings

    (tmp_path / "mdb.yaml").write_text(yaml.safe_dump(DB.model_dump(mode="json")))
    (tmp_path / "users.yaml").write_text(yaml.safe_dump(CONFIG.model_dump(mode="json")))
    path = tmp_path / "ops.yaml"
    path.write_text(f"archive_url: {tmp_path / 'a.db'}\nmdb: mdb.yaml\nauth: users.yaml\n"
                    "link_port: 0\nlink_transport: udp\n")  # fmt: skip
    with OpsService(load_settings(path)) as service:
        assert service.mdb == DB and service.policy.config == CONFIG
        assert service.link.address[0] == "127.0.0.1"
    path.write_text("mdb: mdb.yaml\nauth: users.yaml\nlink_transport: carrier-pigeon\n")
    with pytest.raises(OpsConfigError) as info:
        load_settings(path)
    assert info.value.path == "link_transport"
