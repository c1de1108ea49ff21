"""The lighting page in a real browser (Debian's headless Chromium through Playwright): a
viewer is offered no request form (and the server refuses it anyway); an operator asks for
products over a small square of the shared LOLA DEMs, follows the job to "done" and sees
the maps, fetched with the token, then cancels a long job while it runs (issue 13:
products "from the CLI and the API", here through the dashboard)."""

from __future__ import annotations

import httpx
import pytest

from conftest import watched_page
from ilrs.ops.api.serve import LiveStation, Server
from ilrs.report.lighting import write_product_files
from test_web_dashboard import OUT, WEB, login, needs_chromium, needs_open_mct, token_of


@pytest.fixture
def served(lunar_dems, tmp_path):
    """``ilrs serve --dem …``'s station (240 m grid + far field) with the dashboard."""
    station = LiveStation(speed=600.0, db_url=str(tmp_path / "archive.db"), web_dir=WEB,
                          pump_period_s=0.2, dems=tuple(str(p) for p in lunar_dems[1:]),
                          product_writer=write_product_files)
    with Server(station) as server:
        yield server


def _ask(page, size_km: str) -> None:
    page.fill("#lp-lat", "-89.6374")
    page.fill("#lp-lon", "199.73")
    page.fill("#lp-size", size_km)
    page.fill("#lp-start", "2030-01-01")
    page.fill("#lp-stop", "2030-04-01")
    page.click("#product-form button[type=submit]")


@needs_chromium
@needs_open_mct
def test_an_operator_gets_maps_and_a_viewer_is_refused(served, browser):
    from playwright.sync_api import expect

    errors: list[str] = []
    page = watched_page(browser, errors)
    login(page, served.url, token_of(served, "viewer"))
    page.goto(f"{served.url}/lighting")
    expect(page.locator("#ask-result")).to_contain_text("Your role (viewer) may view the "
                                                        "products", timeout=15_000)
    expect(page.locator("#product-form")).to_be_hidden()
    assert page.locator("#product-form button").count() == 0
    with httpx.Client(base_url=served.url, timeout=30.0, headers={
            "Authorization": f"Bearer {token_of(served, 'viewer')}"}) as c:  # fmt: skip
        refused = c.post("/api/lighting/products", json={"products": ["sun"],
                         "center_lat_deg": -89.6374, "center_lon_deg": 199.73,
                         "size_km": 0.72, "resolution_m": 240.0, "start_utc": "2030-01-01",
                         "stop_utc": "2030-04-01"})  # fmt: skip
    assert refused.status_code == 403  # the server checks the role whatever the page shows
    assert served.station.lighting.jobs() == []
    page.close()

    page = watched_page(browser, errors)
    login(page, served.url, token_of(served, "russia.operator"))
    page.goto(f"{served.url}/lighting")
    _ask(page, "1.68")  # 7 × 7 points at 240 m on the Shackleton rim
    expect(page.locator("#ask-result")).to_contain_text("queued: 49 points", timeout=15_000)
    job = served.station.lighting.jobs()[-1]
    assert served.station.lighting.wait(job.id, timeout_s=600).state == "done"
    row = page.locator(f"tr[data-job='{job.id}'] .job-state")
    expect(row).to_have_text("done", timeout=15_000)
    maps = page.locator("img.product-map")
    expect(maps).to_have_count(3, timeout=15_000)  # Sun (any, mean disk) and PSR
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.product-map')]"
        ".every((i) => i.complete && i.naturalWidth > 0)", timeout=15_000)
    OUT.mkdir(exist_ok=True)
    page.screenshot(path=OUT / "dashboard-lighting.png")
    # a long job (64 × 64 points, 18.6 years: 4 tiles), cancelled from its row while it runs
    page.fill("#lp-stop", "2038-08-01")
    page.fill("#lp-size", "15.36")
    page.click("#product-form button[type=submit]")
    expect(page.locator("#ask-result")).to_contain_text("queued: 4,096 points", timeout=15_000)
    long = served.station.lighting.jobs()[-1]
    state = page.locator(f"tr[data-job='{long.id}'] .job-state")
    expect(state).to_contain_text("running", timeout=60_000)
    state.locator("button.cancel-job").click()
    assert served.station.lighting.wait(long.id, timeout_s=600).state == "cancelled"
    expect(state).to_have_text("cancelled", timeout=15_000)
    assert errors == []
