"""``ilrs ops plan upload`` and the body limit of ``POST /api/plans``: a real 14-day plan
from ``ilrs plan --days 14`` uploads to what ``ilrs serve`` runs; a body over the plan
limit is refused with 413 before authentication, and every other route keeps 64 KiB;
each refusal of the command is one line and exit status 1."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx
import pytest

from conftest import demo_token
from ilrs.cli import main
from ilrs.ops.api.plans import PLAN_BODY_BYTES
from ilrs.ops.api.serve import LiveStation, Server
from test_ops_api import served_app

env = pytest.fixture(served_app, name="env")


def _chunked(app, path: str, chunks: int, chunk: int = 65536) -> tuple[int, int]:
    """POST ``chunks`` × ``chunk`` bytes without a Content-Length, at the ASGI level, and
    no token: (status, chunks the app read)."""
    received, sent = [], []

    async def receive() -> dict:
        received.append(1)
        return {"type": "http.request", "body": b" " * chunk, "more_body": len(received) < chunks}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "headers": [
        (b"transfer-encoding", b"chunked")], "query_string": b"", "http_version": "1.1",
        "scheme": "http", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1),
        "root_path": ""}  # fmt: skip
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], len(received)


def test_the_plan_route_alone_takes_a_large_body_and_413_comes_before_authentication(env):
    client, service, _ = env
    default = service.settings.max_body_bytes
    assert default == 64 * 1024 and 16 * default <= PLAN_BODY_BYTES
    big = b"{" + b" " * (4 * default)  # over 64 KiB, under the plan limit
    assert client.post("/api/commands", content=big).status_code == 413
    assert client.post("/api/plans/repair", content=big).status_code == 413
    assert client.post("/api/plans", content=big).status_code != 413  # let through…
    over = client.post("/api/plans", content=b"{" + b" " * PLAN_BODY_BYTES)
    assert over.status_code == 413  # …up to its own limit, with no token at all
    assert over.json() == {"detail": f"request body: at most {PLAN_BODY_BYTES} bytes",
                           "error": "RequestTooLarge", "field": "body"}  # fmt: skip
    # chunked bodies (no Content-Length): read only up to the route's limit
    status, read = _chunked(client.app, "/api/plans", chunks=1000)
    assert status == 413 and read <= PLAN_BODY_BYTES // 65536 + 1
    status, read = _chunked(client.app, "/api/commands", chunks=1000)
    assert status == 413 and read <= default // 65536 + 1
    assert service.archive.audit_records() == []  # anonymous: nothing stored


def _one_line_error(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert "Traceback" not in captured.err
    return lines[0]


def test_upload_refuses_bad_input_in_one_line(tmp_path, capsys):
    args = ["ops", "plan", "upload", "--token", "ilrs_x"]
    assert main([*args[:3], str(tmp_path / "none.json"), *args[3:]]) == 1
    assert "an existing plan file" in _one_line_error(capsys)
    (tmp_path / "bad.json").write_text("{not json")
    assert main([*args[:3], str(tmp_path / "bad.json"), *args[3:]]) == 1
    assert "a plan as ilrs plan writes it" in _one_line_error(capsys)
    (tmp_path / "p.json").write_text('{"activities": []}')
    assert main([*args[:3], str(tmp_path / "p.json"), *args[3:], "--url", "ftp://x"]) == 1
    assert "--url" in _one_line_error(capsys)
    with socket.socket() as s:  # a port nobody listens on (bound, never listening)
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
        assert main([*args[:3], str(tmp_path / "p.json"), *args[3:], "--url", url]) == 1
    assert "running ilrs serve" in _one_line_error(capsys)
    assert main(["ops", "plan", "upload", str(tmp_path / "p.json")]) == 1  # no token
    assert "--token" in _one_line_error(capsys)
    assert main([*args[:3], str(tmp_path / "p.json"), *args[3:], "--timeout", "nan"]) == 1
    assert "--timeout" in _one_line_error(capsys)


@pytest.fixture(scope="module")
def fourteen_days(tmp_path_factory) -> dict:
    """A real 14-day plan, as `ilrs plan --days 14` writes it (CP-SAT held to 5 s)."""
    out = tmp_path_factory.mktemp("plan14")
    assert main(["plan", "--days", "14", "--time-limit", "5", "--out", str(out)]) == 0
    return {"path": out / "plan.json", "plan": json.loads((out / "plan.json").read_text())}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    station = LiveStation(speed=600.0, db_url=str(tmp_path_factory.mktemp("serve") / "a.db"),
                          pump_period_s=0.2)  # fmt: skip
    with Server(station) as running:
        yield running


def test_a_real_14_day_plan_uploads_with_the_cli(server, fourteen_days, capsys, tmp_path):
    path, plan = fourteen_days["path"], fourteen_days["plan"]
    size = path.stat().st_size
    assert size > 64 * 1024  # over the limit of every other route: the reason for its own
    n = len(plan["activities"])
    assert n > 100
    with httpx.Client(base_url=server.url, timeout=30.0, headers={
            "Authorization": f"Bearer {demo_token(server, 'viewer')}"}) as c:  # fmt: skip
        assert c.get("/api/plans/latest").status_code == 404  # none yet…
        none = c.get("/api/plans/latest", params={"allow_none": "true"})
        assert (none.status_code, none.json()) == (200, None)  # …or null, for the dashboard
    # a viewer may not upload: one line, exit 1, nothing stored
    assert main(["ops", "plan", "upload", str(path), "--url", server.url,
                 "--token", demo_token(server, "viewer")]) == 1  # fmt: skip
    assert "HTTP 403" in _one_line_error(capsys)
    # a flight director may, with the token from the environment
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ILRS_TOKEN", demo_token(server, "flight.director"))
        assert main(["ops", "plan", "upload", str(path), "--url", server.url]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"plan v1 stored: {n} activities, ") and "commands delivered" in out
    with httpx.Client(base_url=server.url, timeout=30.0, headers={
            "Authorization": f"Bearer {demo_token(server, 'flight.director')}"}) as c:  # fmt: skip
        latest = c.get("/api/plans/latest").json()
    assert (latest["version"], latest["activities"], latest["user"]) == (1, n, "flight.director")
    assert latest["plan"]["start_utc"] == plan["start_utc"]
    # a body over the plan limit: 413 before the token is even looked at
    padded = dict(plan, padding=" " * PLAN_BODY_BYTES)
    (tmp_path / "huge.json").write_text(json.dumps(padded))
    assert main(["ops", "plan", "upload", str(tmp_path / "huge.json"), "--url", server.url,
                 "--token", "ilrs_0000000000000000_not-a-token"]) == 1  # fmt: skip
    assert f"HTTP 413: plan refused: request body: at most {PLAN_BODY_BYTES} bytes" in (
        _one_line_error(capsys))
