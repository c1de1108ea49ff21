"""Shared helpers of the ilrs.ops tests: archive URLs for each backend.

PostgreSQL: ``ILRS_TEST_POSTGRES_URL`` when set (a role allowed to CREATE DATABASE),
else one throwaway server per test session from the Debian binaries
(``ilrs.ops.archive.pgtemp``); each test gets a fresh database on it. Skipped, with the
reason, only when neither is available.
"""

from __future__ import annotations

import atexit
import itertools
import os
import socket
import time
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ilrs.ops.archive.pgtemp import TemporaryPostgres, find_pg_bin

BACKENDS = ["sqlite", "postgresql"]
_state: dict[str, object] = {}
_counter = itertools.count()


def postgres_base_url() -> str:
    """The server every PostgreSQL test uses (started once per session)."""
    if "url" not in _state:
        url = os.environ.get("ILRS_TEST_POSTGRES_URL")
        if not url:
            if find_pg_bin() is None:
                pytest.skip("no PostgreSQL: set ILRS_TEST_POSTGRES_URL or install postgresql")
            server = TemporaryPostgres()
            url = server.start()
            atexit.register(server.stop)
        _state["url"] = url
    return str(_state["url"])


def fresh_postgres_url() -> str:
    """A new, empty database on the test server."""
    base = postgres_base_url()
    name = f"ilrs_test_{os.getpid()}_{next(_counter)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    params = conninfo_to_dict(base)
    params["dbname"] = name
    host = params.pop("host", None)
    # keep the URL form open_archive dispatches on
    return "postgresql://?" + make_conninfo("", **params, host=host).replace(" ", "&")


def archive_url(backend: str, tmp_path: Path) -> str:
    return str(tmp_path / "archive.db") if backend == "sqlite" else fresh_postgres_url()


def spacecraft_socket(service) -> socket.socket:
    """A raw TCP connection to the service's ground link, as a spacecraft; waits until the
    ground has accepted it."""
    sc = socket.create_connection(service.link.address, timeout=5)
    deadline = time.monotonic() + 5
    while not service.link.connected.is_set():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return sc


def wait_for(predicate, timeout_s: float = 30.0, what: str = "condition"):
    """``predicate()``'s first true value, polled until ``timeout_s`` (then a failure naming
    ``what``): tests wait on the condition itself, never on a fixed time."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")
