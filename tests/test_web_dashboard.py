"""The web dashboard in a real browser: Debian's headless Chromium driven by Playwright
against what ``ilrs serve`` runs — the live station twin as the spacecraft over a real
loopback link, the command center with a real SQLite archive, uvicorn on 127.0.0.1.

Needs ``chromium`` on the PATH (``apt-get install chromium``) and Open MCT in
``web/node_modules`` (``make web``); skipped with the reason when either is missing.
A screenshot of each page is saved under ``out/``.
"""

from __future__ import annotations

import re
import shutil
import time
import warnings
from pathlib import Path

import pytest

from conftest import CHROMIUM_ARGS, WEB, watched_page  # noqa: F401  (the browser tests import them here)
from ilrs.ops.api.app import create_app
from ilrs.ops.api.pages import dashboard_ready
from ilrs.ops.api.serve import Server
from ilrs.ops.security.policy import AuthConfig
from ilrs.ops.service import OpsSettings
from ilrs.ops.tmtc.mdb_build import mdb_from_elements

with warnings.catch_warnings():
    # starlette 0.52's test client names anyio.abc.BlockingPortal, an alias anyio ≥ 4.16
    # deprecates; harmless, and only this import needs the exemption
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "out"
CHROMIUM = shutil.which("chromium")

needs_chromium = pytest.mark.skipif(CHROMIUM is None,
                                    reason="no chromium on PATH (apt-get install chromium)")
needs_open_mct = pytest.mark.skipif(not dashboard_ready(WEB),
                                    reason="no web/node_modules (run make web)")

#: A small mission database for the tests that need no spacecraft.
DB = mdb_from_elements([
    {"id": "power", "owner": "cnsa", "parameters": [
        {"name": "bus_v", "type": "float32", "unit": "V",
         "limits": {"yellow": {"low": 26, "high": 30}, "red": {"low": 24, "high": 32}}}]},
])  # fmt: skip
CONFIG = AuthConfig.model_validate({
    "partners": [{"id": "cnsa"}],
    "users": [{"name": "fd", "partner": "cnsa", "roles": ["flight_director"]}],
})  # fmt: skip


def token_of(server: Server, name: str) -> str:
    return next(u.token for u in server.station.users if u.name == name)


def test_dashboard_says_run_make_web_without_open_mct(tmp_path):
    web = tmp_path / "web"
    web.mkdir()
    shutil.copy(WEB / "index.html", web / "index.html")
    settings = OpsSettings(archive_url=str(tmp_path / "ops.db"), mdb=DB, auth=CONFIG,
                           web_dir=web)  # fmt: skip
    client = TestClient(create_app(settings))  # no lifespan: only the static routes answer
    page = client.get("/")
    assert page.status_code == 503 and "make web" in page.text
    assert client.get("/alarms").status_code == 503
    assert client.get("/openapi.json").status_code == 200  # the API is still there


@pytest.mark.parametrize("page", ["/", "/index.html", "/commanding", "/alarms.html"])
@needs_open_mct
def test_pages_and_open_mct_are_served_from_our_own_address(tmp_path, page):
    settings = OpsSettings(archive_url=str(tmp_path / "ops.db"), mdb=DB, auth=CONFIG,
                           web_dir=WEB)  # fmt: skip
    client = TestClient(create_app(settings))
    html = client.get(page)
    assert html.status_code == 200 and "<!doctype html>" in html.text
    assert "http://" not in html.text and "https://" not in html.text  # no CDN
    assert client.get("/node_modules/openmct/dist/openmct.js").status_code == 200
    assert client.get("/ilrs-plugin.js").headers["content-type"].startswith("text/javascript")


def login(page, base: str, token: str) -> None:
    page.goto(f"{base}/")
    page.fill("input[name=token]", token)
    page.click(".ilrs-login button[type=submit]")


@needs_chromium
@needs_open_mct
def test_dashboard_plot_alarm_and_command(served, browser):
    from playwright.sync_api import expect

    base, station = served.url, served.station
    OUT.mkdir(exist_ok=True)
    errors: list[str] = []
    page = watched_page(browser, errors, 900)
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(str(f))))

    # log in with a token: the page asks, refuses a wrong one, keeps it in sessionStorage
    login(page, base, "ilrs_0000000000000000_wrong")
    expect(page.locator(".ilrs-login .error")).to_contain_text("Sign-in failed")
    page.fill("input[name=token]", token_of(served, "flight.director"))
    page.click(".ilrs-login button[type=submit]")
    expect(page.locator(".ilrs-nav .user")).to_have_text("flight.director")
    assert page.evaluate("sessionStorage.getItem('ilrs.token')").startswith("ilrs_")

    # the mission database as an object tree; open a parameter: its plot gets live points
    tree = page.get_by_role("tree", name="Main Tree")
    tree.get_by_role("button", name="Expand ILRS folder").click(timeout=15_000)
    tree.get_by_role("button", name="Expand china folder").click()  # the station's owner
    expect(tree.get_by_role("button", name="Expand russia folder")).to_be_visible()
    tree.get_by_role("button", name="Expand station folder").click()
    tree.get_by_role("button", name="Expand power folder").click()
    tree.get_by_role("treeitem", name=re.compile(r"station\.power\.generation_w")).click()
    expect(page.locator(".l-browse-bar__object-name")).to_have_text("station.power.generation_w")
    expect(page.locator(".gl-plot").first).to_be_visible(timeout=15_000)
    page.click(".c-plot-legend__view-control")  # the expanded legend: time and value
    cells = page.locator(".plot-wrapper-expanded-legend tr.plot-legend-item td")
    chart = page.locator(".gl-plot-chart-area").first.bounding_box()
    nudge = [0]

    def newest_point() -> tuple[str, str]:
        """Hover near the plot's right edge: the legend shows the nearest point."""
        nudge[0] ^= 1  # a different pixel each time, so the browser sends a mouse move
        page.mouse.move(chart["x"] + chart["width"] - 8 - nudge[0],
                        chart["y"] + chart["height"] / 2)  # fmt: skip
        # Open MCT's own readout (beside it, web/legend.js's "latest" when not hovering)
        return tuple(cells.nth(i).locator("span.plot-series-value").text_content().strip()
                     for i in (1, 2))

    deadline = time.monotonic() + 15
    while not (first := newest_point())[1]:
        assert time.monotonic() < deadline, "no point on the plot"
        page.wait_for_timeout(200)
    while newest_point()[0] <= first[0]:  # live points keep arriving
        assert time.monotonic() < deadline, f"no point newer than {first} on the plot"
        page.wait_for_timeout(200)
    number, unit = first[1].split()
    assert float(number) > 0 and unit == "W"  # watts generated, printed with their unit
    # mission time: the plot's time axis is the twin's UTC (2036), not the ground's clock
    twin = station.ops.processor.latest_value("station.time.utc_s")
    shown = time.mktime(time.strptime(first[0][:19], "%Y-%m-%d %H:%M:%S")) - time.timezone
    assert first[0].startswith("2036") and abs(shown - twin) < 3600, (first[0], twin)
    expect(page.locator(".ilrs-nav .mission-time")).to_contain_text("mission 2036-")
    assert any('"station.power.generation_w"' in f and '"parameter"' in f for f in frames)
    page.mouse.move(0, 0)

    # commanding: a form from the definition (types, ranges); safe mode drives
    # station.fdir.safe_mode over its limit
    page.click(".ilrs-nav a[data-page=commanding]")
    page.click('li[data-name="rover.profiling_rover.drive"]')
    distance = page.locator("#arg-distance_km")
    assert (distance.get_attribute("min"), distance.get_attribute("max")) == ("0", "200")
    page.click('li[data-name="station.safe_mode_enter"]')
    page.click("#command-form button[type=submit]")
    expect(page.locator("#send-result")).to_contain_text("station.safe_mode_enter issued")
    entry = page.locator("#history-rows tr", has_text="station.safe_mode_enter").first
    expect(entry.locator(".state")).to_have_text("completed", timeout=30_000)
    for stage in ("queued", "authorized", "released", "accepted", "started", "completed"):
        expect(entry.locator(".stage.st-ok", has_text=re.compile(f"^{stage}$"))).to_have_count(1)

    # the alarm is raised; acknowledge it in the alarms page
    expect(page.locator(".ilrs-nav .alarm-badge")).to_be_visible(timeout=15_000)
    page.click(".ilrs-nav a[data-page=alarms]")
    row = page.locator('tr.alarm[data-parameter="station.fdir.safe_mode"]')
    expect(row.locator("td.alarm-state")).to_have_text("unacknowledged", timeout=10_000)
    expect(row.locator(".badge")).to_have_text("warning")
    row.get_by_role("button", name="Acknowledge").click()
    expect(row.locator("td.alarm-state")).to_have_text("acknowledged")
    expect(page.locator(".ilrs-nav .alarm-badge")).to_be_hidden()
    expect(page.locator("#transition-log")).to_contain_text("normal → unacknowledged")
    alarm = next(a for a in station.ops.processor.alarms.active()
                 if a.parameter == "station.fdir.safe_mode")  # fmt: skip
    assert (alarm.state.value, alarm.ack_user) == ("acknowledged", "flight.director")
    page.screenshot(path=OUT / "dashboard-alarms.png")

    # leaving safe mode is critical: it waits for a second flight director
    page.click(".ilrs-nav a[data-page=commanding]")
    page.click('li[data-name="station.safe_mode_exit"]')
    page.click("#command-form button[type=submit]")
    queued = page.locator("#approval-rows tr", has_text="station.safe_mode_exit")
    expect(queued.get_by_role("button", name="Approve")).to_be_disabled()  # not by oneself
    page.screenshot(path=OUT / "dashboard-commanding.png")
    second = browser.new_page(viewport={"width": 1440, "height": 900})  # its own session
    login(second, base, token_of(served, "flight.director2"))
    second.click(".ilrs-nav a[data-page=commanding]")
    second.locator("#approval-rows tr", has_text="station.safe_mode_exit").get_by_role(
        "button", name="Approve").click()  # fmt: skip
    done = page.locator("#history-rows tr", has_text="station.safe_mode_exit").first
    expect(done.locator(".state")).to_have_text("completed", timeout=30_000)
    expect(done.locator(".stage.st-ok", has_text=re.compile("^approval$"))).to_have_count(1)

    # back in Open MCT: the safe-mode flag's plot, its limit line and the excursion
    page.click(".ilrs-nav a[data-page=index]")
    tree.get_by_role("button", name="Expand fdir folder").click(timeout=15_000)
    tree.get_by_role("treeitem", name=re.compile(r"station\.fdir\.safe_mode\b")).click()
    expect(page.locator(".gl-plot").first).to_be_visible(timeout=15_000)
    page.wait_for_timeout(1000)
    page.screenshot(path=OUT / "dashboard.png")
    assert errors == []
