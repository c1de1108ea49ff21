"""A Python client of the command center, in the style of python-yamcs-client::

    client = OpsClient("http://127.0.0.1:8000", token="ilrs_…")
    client.issue_command("seis.set_gain", {"gain": 3}).await_complete(timeout_s=30)
    for sample in client.stream_parameter_values(["power.bus_v"], max_samples=10):
        print(sample.time, sample.value, sample.level)
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from websockets.sync.client import connect

from ilrs.errors import CommandRejectedError, OpsClientError

__all__ = ["Alarm", "CommandHandle", "OpsClient", "OpsClientError", "Sample"]


@dataclass(frozen=True, slots=True)
class Sample:
    """One parameter value: UTC ISO time, engineering value, limit level (0 ok, 1, 2)."""

    name: str
    time: str
    value: float | None
    level: int


@dataclass(frozen=True, slots=True)
class Alarm:
    """An alarm transition received live."""

    parameter: str
    time: str
    state: str
    previous: str
    severity: str
    value: float


class CommandHandle:
    """A command issued through the client; ``await_complete`` follows it to its end."""

    def __init__(self, client: OpsClient, record: dict[str, Any]):
        self.client = client
        self.record = record

    @property
    def id(self) -> str:
        return self.record["id"]

    @property
    def state(self) -> str:
        return self.record["state"]

    def refresh(self) -> CommandHandle:
        self.record = self.client._get(f"/api/commands/{self.id}")
        return self

    def approve(self) -> CommandHandle:
        """Give the second approval (as the client's user)."""
        self.record = self.client._post(f"/api/commands/{self.id}/approve")
        return self

    def await_complete(self, *, timeout_s: float = 60.0, poll_s: float = 0.1) -> CommandHandle:
        """Wait until the command completes; ``CommandRejectedError`` if it fails, is
        rejected, or the wait times out."""
        deadline = time.monotonic() + timeout_s
        while self.state not in ("completed", "failed", "rejected"):
            if time.monotonic() > deadline:
                raise CommandRejectedError(self.record["name"], "await", f"still {self.state} "
                                           f"after {timeout_s} s")  # fmt: skip
            time.sleep(poll_s)
            self.refresh()
        if self.state != "completed":
            last = [s for s in self.record["stages"] if s["stage"] != "final"][-1]
            raise CommandRejectedError(self.record["name"], last["stage"],
                                       f"{last['status']} {last['detail']}".strip())  # fmt: skip
        return self


class OpsClient:
    """REST + WebSocket client; ``token`` is an API token issued by an admin."""

    def __init__(self, url: str, *, token: str, timeout_s: float = 10.0):
        self.url = url.rstrip("/")
        self.token = token
        self._http = httpx.Client(base_url=self.url, timeout=timeout_s,
                                  headers={"Authorization": f"Bearer {token}"})  # fmt: skip

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OpsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise OpsClientError(response.status_code, str(detail))
        return response.json()

    def _get(self, path: str, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v is not None}
        return self._check(self._http.get(path, params=clean))

    def _post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._check(self._http.post(path, json=body))

    def _get_all(self, path: str, **params: Any) -> list[Any]:
        """Every page of a list route, following ``X-Next-Cursor``."""
        clean = {k: v for k, v in params.items() if v is not None}
        rows: list[Any] = []
        while True:
            response = self._http.get(path, params=clean)
            rows += self._check(response)
            cursor = response.headers.get("X-Next-Cursor")
            if cursor is None:
                return rows
            clean["after_seq" if path == "/api/audit" else "cursor"] = cursor

    # -- credentials -------------------------------------------------------------------

    def create_token(self) -> dict[str, str]:
        """A new token for this client's own user (``id``, ``token``; shown once)."""
        return self._post("/api/tokens", {})

    def revoke_token(self, token_id: str) -> dict[str, Any]:
        """Revoke a token (one's own, or any as an admin); its live sessions end."""
        return self._check(self._http.delete(f"/api/tokens/{token_id}"))

    def list_audit(self) -> list[dict[str, Any]]:
        return self._get_all("/api/audit")

    # -- commanding ------------------------------------------------------------------

    def issue_command(self, name: str, arguments: dict[str, Any] | None = None, *,
                      release_at_utc: str | None = None) -> CommandHandle:  # fmt: skip
        """Issue a command; with ``release_at_utc`` (a UTC ISO instant of the spacecraft's
        clock — the twin's simulated UTC, see :meth:`get_twin_time`) it is inserted into the
        on-board time-based schedule (PUS 11) and released there at that time."""
        body: dict[str, Any] = {"name": name, "arguments": arguments or {}}
        if release_at_utc is not None:
            body["release_at_utc"] = release_at_utc
        return CommandHandle(self, self._post("/api/commands", body))

    def get_command(self, command_id: str) -> CommandHandle:
        return CommandHandle(self, self._get(f"/api/commands/{command_id}"))

    def list_command_history(self) -> list[dict[str, Any]]:
        return self._get_all("/api/commands")

    # -- status ----------------------------------------------------------------------

    def get_status(self) -> dict[str, Any]:
        return self._get("/api/status")

    def get_twin_time(self) -> str | None:
        """The spacecraft's own UTC from its latest housekeeping (the twin's simulated time,
        in which ``release_at_utc`` is given); None before any housekeeping."""
        return self.get_status()["twin_time"]

    # -- parameters and archive --------------------------------------------------------

    def list_parameters(self) -> list[dict[str, Any]]:
        return self._get("/api/mdb/parameters")

    def get_parameter_value(self, name: str) -> Sample:
        r = self._get(f"/api/parameters/{name}/latest")
        return Sample(name, r["time"], r["value"], r["level"])

    def list_parameter_values(self, name: str, *, start: str, stop: str,
                              limit: int = 10_000) -> list[Sample]:  # fmt: skip
        r = self._get(f"/api/parameters/{name}/samples", start=start, stop=stop, limit=limit)
        return [Sample(name, t, v, 0) for t, v in zip(r["time"], r["value"], strict=True)]

    def get_parameter_ranges(self, name: str, *, start: str, stop: str,
                             buckets: int = 1000) -> dict[str, list]:  # fmt: skip
        """Min / max / count per time bucket (for plots)."""
        return self._get(f"/api/parameters/{name}/downsample", start=start, stop=stop,
                         buckets=buckets)  # fmt: skip

    def list_packets(self, *, start: str, stop: str, apid: int | None = None) -> list[dict]:
        return self._get_all("/api/packets", start=start, stop=stop, apid=apid)

    def list_events(self, *, start: str | None = None, stop: str | None = None) -> list[dict]:
        return self._get_all("/api/events", start=start, stop=stop)

    # -- alarms ----------------------------------------------------------------------

    def list_alarms(self) -> list[dict[str, Any]]:
        return self._get_all("/api/alarms")

    def acknowledge_alarm(self, parameter: str) -> dict[str, Any]:
        return self._post(f"/api/alarms/{parameter}/acknowledge")

    def shelve_alarm(self, parameter: str, *, duration_s: float) -> dict[str, Any]:
        return self._post(f"/api/alarms/{parameter}/shelve", {"duration_s": duration_s})

    # -- live ------------------------------------------------------------------------

    def _live(self, names: list[str], timeout_s: float | None) -> Iterator[dict[str, Any]]:
        ws_url = "ws" + self.url.removeprefix("http") + f"/api/ws?token={self.token}"
        with connect(ws_url, open_timeout=10) as ws:
            ws.send(json.dumps({"subscribe": names}))
            ack = json.loads(ws.recv(timeout=10))
            if ack.get("refused"):
                raise OpsClientError(403, f"not cleared for {ack['refused']}")
            while True:
                try:
                    yield json.loads(ws.recv(timeout=timeout_s))
                except TimeoutError:
                    return

    def stream_parameter_values(self, names: list[str], *, max_samples: int | None = None,
                                timeout_s: float | None = None) -> Iterator[Sample]:  # fmt: skip
        """Live samples of the named parameters, until ``max_samples`` or ``timeout_s``
        without a message."""
        count = 0
        for msg in self._live(list(names), timeout_s):
            if msg.get("type") != "parameter":
                continue
            for t, v, level in zip(msg["time"], msg["value"], msg["level"], strict=True):
                yield Sample(msg["name"], t, v, level)
                count += 1
                if max_samples is not None and count >= max_samples:
                    return

    def stream_alarms(self, *, max_alarms: int | None = None,
                      timeout_s: float | None = None) -> Iterator[Alarm]:  # fmt: skip
        count = 0
        for msg in self._live([], timeout_s):
            if msg.get("type") == "alarm":
                yield Alarm(msg["parameter"], msg["time"], msg["state"], msg["previous"],
                            msg["severity"], msg["value"])  # fmt: skip
                count += 1
                if max_alarms is not None and count >= max_alarms:
                    return
