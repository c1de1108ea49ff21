"""ilrs.ops.client against a real uvicorn server on 127.0.0.1 and a real loopback link."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn

from ilrs.errors import CommandRejectedError, OpsClientError
from ilrs.ops.api.app import create_app
from ilrs.ops.client import OpsClient
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

S = 1_000_000_000
T0_NS = 1_893_456_000 * S
DB = mdb_from_elements([
    {"id": "seis", "owner": "pakistan", "kind": "payload",
     "parameters": [{"name": "temp_k", "type": "float32",
                     "limits": {"yellow": {"high": 300}, "red": {"high": 320}}}],
     "commands": [{"name": "set_gain", "arguments": [{"name": "gain", "type": "uint8"}]}]},
])  # fmt: skip
CONFIG = AuthConfig.model_validate({
    "partners": [{"id": "pakistan"}],
    "users": [{"name": "ali", "partner": "pakistan", "roles": ["partner_operator"]}],
})  # fmt: skip
SEIS = DB.apid_of("seis")


def hk(t_ns: int, temp_k: float) -> bytes:
    data = encode_container(DB, "seis.hk", {"seis.temp_k": temp_k})
    return TmPacket(apid=SEIS, service=3, subservice=25, time=CdsTime.from_unix_s(t_ns / S),
                    data=data).pack()  # fmt: skip


@pytest.fixture
def served(tmp_path):
    settings = OpsSettings(archive_url=str(tmp_path / "ops.db"), mdb=DB, auth=CONFIG,
                           link_port=0)  # fmt: skip
    service = OpsService(settings)
    token = service.tokens.issue("ali", now_ns=T0_NS).secret
    config = uvicorn.Config(create_app(settings, service=service), host="127.0.0.1", port=0,
                            log_level="warning", ws="websockets-sansio")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive()
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    client = OpsClient(f"http://127.0.0.1:{port}", token=token)
    try:
        yield client, service
    finally:
        client.close()
        server.should_exit = True
        thread.join(timeout=10)


def answer(sc: socket.socket, stages) -> None:
    decoder = PacketStreamDecoder(PacketKind.TC)
    packets: list[bytes] = []
    while not packets:
        packets = decoder.feed(sc.recv(4096))
    tc = TcPacket.unpack(packets[0])
    for stage in stages:
        sc.sendall(verification_report(tc, stage, time=CdsTime.from_unix_s(T0_NS / S),
                                       failure_code=7).pack())  # fmt: skip


def test_issue_command_await_complete_and_failure(served):
    client, service = served
    ok = (VerificationStage.ACCEPTED, VerificationStage.STARTED, VerificationStage.COMPLETED)
    with spacecraft_socket(service) as sc:
        handle = client.issue_command("seis.set_gain", {"gain": 2})
        answer(sc, ok)
        assert handle.await_complete(timeout_s=10).state == "completed"
        failing = client.issue_command("seis.set_gain", {"gain": 3})
        answer(sc, (VerificationStage.ACCEPTED, VerificationStage.START_FAILED))
        with pytest.raises(CommandRejectedError, match=r"started.*failure code 7"):
            failing.await_complete(timeout_s=10)
    assert [c["state"] for c in client.list_command_history()] == ["completed", "failed"]
    with pytest.raises(OpsClientError) as info:
        client.issue_command("seis.set_gain", {"gain": 300})
    assert info.value.status == 422


def test_stream_parameter_values_and_archive_queries(served):
    client, service = served

    heard = threading.Event()  # the stream has delivered a priming sample: subscribed

    def feed() -> None:
        # no sleep: prime (a sample before the window) until the stream hears it, then feed
        while not heard.wait(0.02):
            service.processor.ingest([hk(T0_NS - S, 280.0)], reception_ns=T0_NS)
        service.processor.ingest([hk(T0_NS + i * S, 290.0 + 10 * i) for i in range(4)],
                                 reception_ns=T0_NS)  # fmt: skip

    feeder = threading.Thread(target=feed)
    feeder.start()
    samples = []
    for s in client.stream_parameter_values(["seis.temp_k"], timeout_s=10):
        if s.value == 280.0:
            heard.set()
            continue
        samples.append(s)
        if len(samples) == 4:
            break
    heard.set()
    feeder.join()
    assert [(s.value, s.level) for s in samples] == [(290.0, 0), (300.0, 0), (310.0, 1),
                                                       (320.0, 1)]  # fmt: skip
    assert samples[0].time == "2030-01-01T00:00:00.000000Z"
    assert client.get_parameter_value("seis.temp_k").value == 320.0
    window = {"start": ns_to_iso(T0_NS), "stop": ns_to_iso(T0_NS + 10 * S)}
    assert [s.value for s in client.list_parameter_values("seis.temp_k", **window)] == [
        290.0, 300.0, 310.0, 320.0]  # fmt: skip
    ranges = client.get_parameter_ranges("seis.temp_k", **window, buckets=5)  # 2 s wide
    assert (ranges["min"], ranges["max"]) == ([290.0, 310.0], [300.0, 320.0])
    (alarm,) = client.list_alarms()
    assert alarm["state"] == "unacknowledged"
    assert client.acknowledge_alarm("seis.temp_k")["state"] == "acknowledged"
    with pytest.raises(OpsClientError, match="not cleared"):
        next(client.stream_parameter_values(["power.secret"], timeout_s=5))
