"""Shared fixtures: the sky engine over the default kernels and SPICE over the same files;
``ilrs serve`` with the dashboard and headless Chromium for the browser tests."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from ilrs.sky import Sky
from ilrs.sky.kernels import default_kernel_paths

#: The dashboard's web folder.
WEB = Path(__file__).resolve().parents[1] / "web"
#: Debian's chromium as Playwright drives it (never ``playwright install``).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip
#: ``../shared`` beside the repository: real LOLA data (CI has it; tests skip without it).
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
#: The shared LOLA GeoTIFFs, finest first (see ``shared/data/lunar-dem/SOURCE.md``).
LUNAR_DEMS = [SHARED / "data" / "lunar-dem" / name for name in (
    "pgda_site01_connecting_ridge_10m.tif", "ldem75s120m_southpole_240m.tif",
    "ldem75s120m_southpole_far_1787m.tif")]


@contextlib.contextmanager
def dask_cluster(folder: Path, n_workers: int):
    """A real ``dask scheduler`` and ``n_workers`` single-threaded ``dask worker`` processes
    on 127.0.0.1 (started here, stopped on exit); yields the scheduler's address. Skips
    without the ``dask`` command beside this Python."""
    import subprocess
    import sys

    distributed = pytest.importorskip("distributed")
    dask_cli = Path(sys.executable).with_name("dask")
    if not dask_cli.exists():
        pytest.skip(f"no dask command beside {sys.executable}")
    info = folder / "scheduler.json"
    common = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": folder}
    procs = [subprocess.Popen([str(dask_cli), "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(info)], **common)]
    try:
        # the client waits for the scheduler file, then retries until the scheduler listens
        with distributed.Client(scheduler_file=str(info), timeout="60s") as client:
            address = client.scheduler.address
            assert address.startswith("tcp://127.0.0.1:")
            for _ in range(n_workers):
                procs.append(subprocess.Popen(
                    [str(dask_cli), "worker", address, "--host", "127.0.0.1", "--nthreads",
                     "1", "--no-dashboard", "--local-directory", str(folder)], **common))
            client.wait_for_workers(n_workers, timeout=120)
        yield address
    finally:
        for proc in procs[::-1]:
            proc.terminate()
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)
            if proc.poll() is None:
                proc.kill()


@pytest.fixture(scope="session")
def lunar_dem_dir() -> Path:
    """``shared/data/lunar-dem`` (the real LOLA GeoTIFFs and SOURCE.md); skip if absent."""
    folder = SHARED / "data" / "lunar-dem"
    if not folder.is_dir():
        pytest.skip(f"real LOLA DEMs not at {folder}")
    return folder


@pytest.fixture(scope="session")
def lunar_dems() -> list[Path]:
    """Paths of the real LOLA DEMs (10 m ridge, 240 m, far field); skip if absent."""
    missing = [p for p in LUNAR_DEMS if not p.exists()]
    if missing:
        pytest.skip(f"real LOLA DEMs not found: {missing[0]}")
    return LUNAR_DEMS


@pytest.fixture(scope="session")
def sky() -> Sky:
    return Sky()


@pytest.fixture(scope="session")
def spice():
    """SpiceyPy with the DE421 SPK, the Moon PA DE421 PCK and moon_080317.tf furnished."""
    sp = pytest.importorskip("spiceypy")
    for path in default_kernel_paths().values():
        sp.furnsh(str(path))
    yield sp
    sp.kclear()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20300101)


@pytest.fixture
def served(tmp_path):
    """``ilrs serve``'s station: the live twin as the spacecraft (600× real time), the
    command center around it and the dashboard, served by uvicorn on 127.0.0.1 (modules
    with a station of their own define their own ``served``)."""
    from ilrs.ops.api.serve import LiveStation, Server

    station = LiveStation(speed=600.0, db_url=str(tmp_path / "archive.db"), web_dir=WEB,
                          pump_period_s=0.2)  # fmt: skip
    with Server(station) as server:
        yield server


def watched_page(browser, errors: list[str], height: int = 1000):
    """A new 1440-wide page whose uncaught JavaScript errors are appended to ``errors``."""
    page = browser.new_page(viewport={"width": 1440, "height": height})
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page


@pytest.fixture
def browser():
    """Headless Chromium (Debian's), closed after the test."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=shutil.which("chromium"),
                                      args=CHROMIUM_ARGS)  # fmt: skip
        try:
            yield chromium
        finally:
            chromium.close()


def demo_token(server, name: str) -> str:
    """The token ``ilrs serve`` printed for its demo user ``name`` (a served ``Server``)."""
    return next(u.token for u in server.station.users if u.name == name)
