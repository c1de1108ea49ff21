"""The plan view of the dashboard in a real browser (Debian's headless Chromium through
Playwright): a plan uploaded to ``ilrs serve`` appears in Open MCT's plan view, in the
ILRS tree beside the telemetry, on mission time (the twin's 2036 UTC: on the ground's
clock its activities would fall outside the view)."""

from __future__ import annotations

import httpx

from conftest import watched_page
from ilrs.ops.api.serve import Server
from ilrs.plan.horizon import utc_to_tdb
from ilrs.plan.plan import Activity, Plan
from test_web_dashboard import OUT, login, needs_chromium, needs_open_mct, token_of

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
    assert errors == []
