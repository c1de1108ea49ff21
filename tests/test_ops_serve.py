"""``ilrs serve`` end to end: the live station twin as the spacecraft, the command center
around it, driven through the Python client over real HTTP and TCP on 127.0.0.1.

Issue 6's integration test: a partner operator commands its own payload off, sees the
verification stages complete and the payload's power drop in telemetry; the same user's
command to another partner's payload is refused (403); both are in the audit log; a
critical command waits for a second, different user.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

from conftest import demo_token
from ilrs.cli import main
from ilrs.errors import OpsClientError
from ilrs.ops.api.serve import LiveStation, Server
from ilrs.ops.client import OpsClient

#: Russia's payload (ILRS-2) and China's (ILRS-4) in the built-in roadmap.
OWN = "payload.lunar_physics_station"
OTHER = "payload.biomedical_laboratory"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    station = LiveStation(speed=600.0, db_url=str(tmp_path_factory.mktemp("serve") / "a.db"),
                          pump_period_s=0.2)
    with Server(station) as running:
        yield running


def _wait_for(predicate, timeout_s: float = 60.0, what: str = "condition"):
    """Poll until ``predicate()`` is true; "no value yet" (404) counts as not yet."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except OpsClientError as exc:
            if exc.status != 404:
                raise
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_partner_operator_commands_its_own_payload_off(server):
    with OpsClient(server.url, token=demo_token(server, "russia.operator")) as ops:
        power = f"{OWN}.power_w"
        before = _wait_for(lambda: ops.get_parameter_value(power).value > 0, what="power on")
        assert before
        handle = ops.issue_command(f"{OWN}.power_off").await_complete(timeout_s=30)
        stages = {(s["stage"], s["status"]) for s in handle.record["stages"]}
        assert {("accepted", "ok"), ("started", "ok"), ("completed", "ok")} <= stages
        _wait_for(lambda: ops.get_parameter_value(power).value == 0.0, what="power at 0")
        # the same user may not command another partner's payload
        with pytest.raises(OpsClientError) as refused:
            ops.issue_command(f"{OTHER}.power_off")
        assert refused.value.status == 403
    with OpsClient(server.url, token=demo_token(server, "admin")) as admin:
        audit = admin._get("/api/audit")
        mine = [r for r in audit if r["user"] == "russia.operator"]
        outcomes = {(r["action"], r["outcome"].split(":")[0]) for r in mine}
        assert ("command.issue", "ok") in outcomes and ("command.issue", "denied") in outcomes
        assert admin._get("/api/audit/verify")["ok"]


def test_critical_command_waits_for_a_second_user(server):
    critical = "payload.command_center.power_off"  # a survival load: significance critical
    with OpsClient(server.url, token=demo_token(server, "flight.director")) as first:
        handle = first.issue_command(critical)
        assert handle.refresh().state == "awaiting_approval"  # held until someone approves
        with pytest.raises(OpsClientError):
            handle.approve()  # not by the same user
    with OpsClient(server.url, token=demo_token(server, "flight.director2")) as second:
        second.get_command(handle.id).approve()
    with OpsClient(server.url, token=demo_token(server, "flight.director")) as first:
        done = first.get_command(handle.id).await_complete(timeout_s=30)
        assert done.state == "completed"
        first.issue_command("payload.command_center.power_on").await_complete(timeout_s=30)


def test_mission_database_is_generated_from_the_twin(server):
    with OpsClient(server.url, token=demo_token(server, "flight.director")) as ops:
        names = {c["name"] for c in ops._get("/api/mdb/commands")}
        assert f"{OWN}.power_off" in names and "station.safe_mode_enter" in names
        epoch = _wait_for(lambda: ops.get_parameter_value("station.time.tdb_s").value,
                          what="the twin's clock")
        assert epoch > 1.1e9  # the twin started in 2036


def test_each_partner_sees_only_its_own_parameters(server):
    """The dashboard's tree groups parameters by owner: a partner operator's holds one."""
    with OpsClient(server.url, token=demo_token(server, "russia.operator")) as ops:
        mine = ops.list_parameters()
    assert mine and {p["owner"] for p in mine} == {"russia"}
    assert any(p["element"] == OWN for p in mine)
    with OpsClient(server.url, token=demo_token(server, "flight.director")) as ops:
        owners = {p["owner"] for p in ops.list_parameters()}
    assert {"china", "russia"} <= owners


def _messages(ops: OpsClient, text: str) -> list[str]:
    return [e["message"] for e in ops.list_events() if text in e["message"]]


def test_events_of_a_partner_command_reach_that_partner_and_the_leads_only(server):
    """Issue 10 (3): the twin's 'executed' event is filed under the commanded element."""
    with OpsClient(server.url, token=demo_token(server, "russia.operator")) as ops:
        ops.issue_command(f"{OWN}.power_off").await_complete(timeout_s=30)
        ops.issue_command(f"{OWN}.power_on").await_complete(timeout_s=30)
        mine = _wait_for(lambda: _messages(ops, f"{OWN}.power_on"), what="the executed event")
    assert "executed" in mine[0]
    with OpsClient(server.url, token=demo_token(server, "flight.director")) as lead:
        assert _messages(lead, f"{OWN}.power_on")
    with OpsClient(server.url, token=demo_token(server, "china.operator")) as other:
        assert other.list_events() and _messages(other, OWN) == []


def test_telemetry_alarms_and_commands_run_on_mission_time(server):
    """Generation time is the twin's UTC (2036), reception time the ground's (today)."""
    with OpsClient(server.url, token=demo_token(server, "flight.director")) as ops:
        handle = ops.issue_command("station.safe_mode_enter").await_complete(timeout_s=30)
        ops.issue_command("station.safe_mode_exit")  # critical: waits for a second user
        status = ops.get_status()
        twin = float(ops.get_parameter_value("station.time.utc_s").value)
        latest = ops._get("/api/parameters/station.power.generation_w/latest")
    year = str(time.gmtime().tm_year)
    assert status["mission_time"].startswith("2036") and status["mission_speed"] == 600.0
    assert latest["time"].startswith("2036") and latest["reception_time"].startswith(year)
    sample_s = time.mktime(time.strptime(latest["time"][:19], "%Y-%m-%dT%H:%M:%S"))
    assert abs(sample_s - time.timezone - twin) < 3600  # the same hour of the twin's clock
    stages = [s["time"] for s in handle.record["stages"]]
    assert handle.record["created"].startswith("2036") and all(
        t.startswith("2036") for t in stages)  # fmt: skip


# -- the ilrs serve command: arguments checked and the port opened before any heavy work ----

@pytest.fixture
def not_sqlite(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("not an archive")
    return path


@pytest.mark.parametrize(("args", "words"), [
    (["--epoch", "2036-13-01"], ["--epoch", "2036-13-01"]),
    (["--epoch", "2070-01-01"], ["--epoch", "2050"]),
    (["--speed", "0"], ["--speed"]),
    (["--port", "70000"], ["--port", "70000"]),
    (["--db", "postgresql://ilrs@127.0.0.1:1/none"], ["--db", "PostgreSQL"]),
    (["--web", "."], ["--web", "index.html"]),
    (["no-such-scenario.yaml"], ["no-such-scenario.yaml"]),
])
def test_a_bad_argument_fails_in_one_line_before_any_work(capsys, tmp_path, args, words):
    code = main(["serve", "--db", str(tmp_path / "a.db"), "--port", "0", *args])
    err = capsys.readouterr().err.splitlines()
    assert code == 1 and len(err) == 1 and err[0].startswith("error: ")
    assert all(w in err[0] for w in words), err[0]
    assert "listening" not in capsys.readouterr().out


def test_a_file_that_is_not_an_archive_is_refused(capsys, not_sqlite):
    assert main(["serve", "--db", str(not_sqlite), "--port", "0"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "not SQLite" in err[0]
    assert not_sqlite.read_text() == "not an archive"  # untouched


def test_a_busy_port_fails_in_one_line(capsys, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "--db", str(tmp_path / "a.db"), "--port", str(port)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "--port" in err[0] and str(port) in err[0]


def _lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


def _next_line(lines: queue.Queue, contains: str, timeout_s: float, seen: list[str]) -> str:
    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if contains in line:
            return line
    raise AssertionError(f"no line with {contains!r} in {seen}")


def _status_until(url: str, state: str, timeout_s: float) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = httpx.get(f"{url}/api/status", timeout=10).json()
        if status["state"] in (state, "failed"):
            return status
        time.sleep(0.2)
    raise AssertionError(f"/api/status never said {state!r}")


def test_serve_answers_from_the_start_from_any_folder(tmp_path):
    """`ilrs serve` from a folder that is not the repository: it listens at once (status
    "starting"), then "ready"; the archive goes to the per-user data folder, printed."""
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1"}
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ilrs.cli", "serve", "--port", "0", "--speed", "600",
         "--epoch", "2031-08-15"], cwd=folder, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        first = _next_line(lines, "listening on", 60, seen)
        url = first.split()[2]
        archive = tmp_path / "data" / "ilrs" / "serve" / "archive.db"
        assert str(archive) in first
        starting = httpx.get(f"{url}/api/status", timeout=10).json()
        assert starting["state"] in ("starting", "ready")
        assert httpx.get(f"{url}/api/mdb/parameters", timeout=10).status_code in (401, 503)
        assert _status_until(url, "ready", 600)["state"] == "ready"
        admin = _next_line(lines, " admin ", 60, seen).split()[-1]
        mine = httpx.get(f"{url}/api/status", headers={"Authorization": f"Bearer {admin}"},
                         timeout=10).json()
        assert mine["user"] == "admin" and mine["link_connected"]
        assert _next_line(lines, "dashboard:", 60, seen)
        assert archive.is_file() and not list(folder.iterdir())  # nothing written here
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=60)
            reader.join(timeout=60)  # the pipe is at its end: the reader stops
            proc.stdout.close()
    assert proc.returncode in (0, 130), json.dumps(seen)  # 130: stopped by Ctrl-C (SIGINT)


def test_a_bad_scenario_stops_the_start_in_one_line(tmp_path):
    """The scenario is read while the server already answers "starting": its error still
    ends the command with one line and status 1 (no traceback from the server)."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: reference\nperiod:\n  step_s: -1\n")
    done = subprocess.run([sys.executable, "-m", "ilrs.cli", "serve", str(bad), "--port", "0",
                           "--db", str(tmp_path / "a.db")], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 1
    assert done.stdout.startswith("listening on http://127.0.0.1:")
    assert done.stderr.splitlines() == [
        f"error: {bad}:3: period.step_s: got -1, expected greater than 0"]


# -- the gate ilrs serve listens with while the station warms up --------------------------

def _call(app, scope: dict, messages=()) -> list[dict]:
    """Run one ASGI exchange and return what the app sent."""
    import asyncio

    sent: list[dict] = []
    queue_in = list(messages) or [{"type": "http.request", "body": b""}]

    async def receive():
        return queue_in.pop(0) if queue_in else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def _http(path: str, token: bool = False) -> dict:
    headers = [(b"authorization", b"Bearer x")] if token else []
    return {"type": "http", "method": "GET", "path": path, "headers": headers}


def test_the_gate_says_starting_then_hands_over_to_the_app():
    from ilrs.cli._gate import Gate

    gate = Gate()
    gate.update("running the campaign to 2036-01-01", 0.25)
    start, body = _call(gate, _http("/api/status"))
    assert start["status"] == 200 and json.loads(body["body"]) == {
        "state": "starting", "stage": "running the campaign to 2036-01-01", "progress": 0.25}
    start, body = _call(gate, _http("/api/mdb/parameters", token=True))
    assert start["status"] == 503 and (b"retry-after", b"1") in start["headers"]
    closed = _call(gate, {"type": "websocket", "path": "/api/ws", "headers": []})
    assert closed == [{"type": "websocket.close", "code": 1013}]

    seen = []

    async def app(scope, receive, send):  # stands for the command center's app
        seen.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"app"})

    class _Router:
        @staticmethod
        def lifespan_context(_app):
            import contextlib

            @contextlib.asynccontextmanager
            async def context(_):
                seen.append("lifespan")
                yield

            return context(_app)

    app.router = _Router()
    gate.open(app, twin_time=lambda: "2036-01-01T00:00:00Z")
    start, body = _call(gate, _http("/api/status"))
    assert json.loads(body["body"]) == {"state": "ready", "stage": "ready", "progress": 1.0,
                                        "twin_time": "2036-01-01T00:00:00Z"}
    assert _call(gate, _http("/api/status", token=True))[1]["body"] == b"app"
    assert _call(gate, _http("/api/mdb/parameters", token=True))[1]["body"] == b"app"
    assert seen == ["lifespan", "/api/status", "/api/mdb/parameters"]  # lifespan once


def test_the_gate_reports_a_failed_start():
    from ilrs.cli._gate import Gate

    gate = Gate()
    gate.fail("scenario.yaml:3: period.step_s: got -1")
    status = json.loads(_call(gate, _http("/api/status"))[1]["body"])
    assert status["state"] == "failed" and status["error"].startswith("scenario.yaml:3")
