"""The plan view of the dashboard in a real browser (Debian's headless Chromium through
Playwright): a plan uploaded to ``ilrs serve`` appears in Open MCT's plan view, in the
ILRS tree beside the telemetry, on mission time (the twin's 2036 UTC: on the ground's
clock its activities would fall outside the view), opened on its own span (a plan that
starts ahead of the realtime window is shown whole), with nothing in the console."""

from __future__ import annotations

import json
import re

import httpx

from conftest import watched_page
from ilrs.cli import main
from ilrs.ops.api.serve import Server
from ilrs.plan.horizon import utc_to_tdb
from ilrs.plan.plan import Activity, Plan
from test_web_dashboard import OUT, ROOT, login, needs_chromium, needs_open_mct, token_of

SEISMO = "Lunar physics station (seismometer, heat flow, magnetometer)"


def _upload(server: Server, token: str) -> dict:
    """A plan over the next three mission hours: the seismometer from 1 minute ahead."""
    with httpx.Client(base_url=server.url, timeout=30.0,
                      headers={"Authorization": f"Bearer {token}"}) as c:  # fmt: skip
        now = c.get("/api/status").json()["mission_time"]
        t0 = utc_to_tdb(now.removesuffix("Z")[:19]) + 30.0
        act = Activity(name="Seismic monitoring", kind="seismic-monitoring", instance=0,
                       start_tdb_s=t0 + 60.0, stop_tdb_s=t0 + 3 * 3600.0, power_w=100.0,
                       data_bit_s=0.0, needs=(), payload=SEISMO, rover=None,
                       resource=SEISMO, crew=0, value=1.0)  # fmt: skip
        r = c.post("/api/plans", json=Plan(t0, t0 + 4 * 3600.0, [act]).to_json())
        assert r.status_code == 201, r.text
        return r.json()


@needs_chromium
@needs_open_mct
def test_an_uploaded_plan_appears_in_the_plan_view_on_mission_time(served, browser):
    from playwright.sync_api import expect

    token = token_of(served, "russia.operator")
    version = _upload(served, token)["version"]
    OUT.mkdir(exist_ok=True)
    errors: list[str] = []
    page = watched_page(browser, errors, 900)
    console = _console(page)
    login(page, served.url, token)
    tree = page.get_by_role("tree", name="Main Tree")
    tree.get_by_role("button", name="Expand ILRS folder").click(timeout=15_000)
    item = tree.get_by_role("treeitem", name=f"Plan v{version} (upload)")
    item.click(timeout=15_000)
    expect(page.locator(".l-browse-bar__object-name")).to_have_text(
        f"Plan v{version} (upload)")  # fmt: skip
    # the activity in the seismometer's swim lane, inside the mission-time view
    activity = page.locator(".c-plan__activity", has_text="Seismic monitoring")
    expect(activity.first).to_be_attached(timeout=15_000)
    expect(page.get_by_text(SEISMO).first).to_be_visible()
    assert page.get_by_text("No activities within current timeframe").count() == 0
    # beside the telemetry: the tree still holds the partner's parameters
    expect(tree.get_by_role("button", name="Expand russia folder")).to_be_visible()
    page.screenshot(path=OUT / "dashboard-plan.png")
    assert errors == [] and console == []


def _console(page) -> list[str]:
    """The page's console errors and warnings, as they come."""
    out: list[str] = []
    page.on("console", lambda m: out.append(f"{m.type}: {m.text}")
            if m.type in ("error", "warning") else None)  # fmt: skip
    return out


@needs_chromium
@needs_open_mct
def test_a_real_plan_ahead_of_the_clock_opens_on_its_span(served, browser, tmp_path):
    """``ilrs plan`` plans from 2037-03-08, 14 months after the twin's clock (2036): in the
    default realtime window (-60 / +5 min) every lane was empty; the view opens on the
    plan's start → stop instead, every lane has its activities, and opening it writes
    nothing to the console (no "Attempted to mutate immutable object")."""
    from playwright.sync_api import expect

    out = tmp_path / "plan"
    assert main(["plan", "--days", "2", "--warm-days", "0", "--time-limit", "5",
                 "--out", str(out)]) == 0  # fmt: skip
    plan = json.loads((out / "plan.json").read_text())
    token = token_of(served, "flight.director")
    assert main(["ops", "plan", "upload", str(out / "plan.json"), "--url", served.url,
                 "--token", token]) == 0  # fmt: skip
    lanes = {a.get("payload") or a.get("rover") or a.get("resource") or a["kind"]
             for a in plan["activities"]}  # fmt: skip
    errors: list[str] = []
    page = watched_page(browser, errors, 1000)
    page.set_viewport_size({"width": 1400, "height": 1000})
    console = _console(page)
    login(page, served.url, token)
    tree = page.get_by_role("tree", name="Main Tree")
    tree.get_by_role("button", name="Expand ILRS folder").click(timeout=15_000)
    tree.get_by_role("treeitem", name="Plan v1 (upload)").click(timeout=15_000)
    activities = page.locator(".c-plan__activity")
    expect(activities).to_have_count(len(plan["activities"]), timeout=15_000)
    assert page.get_by_text("No activities within current timeframe").count() == 0
    # the time axis runs over the plan's days (2037-03-08 and 09), not the last hour
    expect(page.locator(".c-plan .c-timesystem-axis").first).to_contain_text(
        "Mar 08", timeout=15_000)  # fmt: skip
    # every lane shown, and its activities' bars inside the view (none cut off at an edge)
    for lane in lanes:
        expect(page.get_by_text(lane, exact=True).first).to_be_visible()
    inside = page.evaluate("""() => {
      const view = document.querySelector('.c-plan .c-timesystem-axis').getBoundingClientRect();
      return [...document.querySelectorAll('.c-plan__activity use')].every((bar) => {
        const r = bar.getBoundingClientRect();
        return r.left >= view.left - 1 && r.right <= view.right + 1; }); }""")
    assert inside
    # the inspector: the plan's mission-time span, no wall-clock "Created"
    notes = page.locator('[aria-label="Notes inspector properties"]')
    expect(notes).to_contain_text(f"{plan['start_utc']} to {plan['stop_utc']} mission UTC")
    assert page.locator('[aria-label="Created inspector properties"]:visible').count() == 0
    img = ROOT / "docs" / "img"
    img.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=img / "plan-view.png")
    # away and back: still no error, and the span again
    tree.get_by_role("treeitem", name="My Items").click()
    tree.get_by_role("treeitem", name=re.compile(r"Plan v\d+")).click()  # (or a repair)
    expect(activities).to_have_count(len(plan["activities"]), timeout=15_000)
    assert errors == [] and console == [], (errors, console)
