"""The commanding page's layout at 1,400 px and what each role is offered, in a real
browser (Debian's headless Chromium through Playwright) against what ``ilrs serve`` runs
(issue 23: the Verification column was clipped, history rows ~200 px tall, the approval
stage shown twice, the operator's DISTRESS badge cut to "DI", and Send / "Declare a fault"
offered to roles the server then refused with 403).

Layout facts are read from the page (``getBoundingClientRect``, ``scrollWidth`` against
``clientWidth``); each role's page is saved under ``docs/img/``.
"""

from __future__ import annotations

import httpx

from conftest import watched_page
from test_ops_support import wait_for
from test_web_dashboard import ROOT, login, needs_chromium, needs_open_mct, token_of

IMG = ROOT / "docs" / "img"
WIDTH = 1400
#: A one-line history row (30 px measured); a long command name may wrap to a second line.
ONE_LINE_PX, MOST_PX = 36, 52

#: Per history row: its height, whether any cell's text overflows its cell, the stage
#: chips (text, clipped?, inside the Verification cell?) and the stage names.
ROW_FACTS = """(row) => {
  const cell = row.cells[4];
  const box = cell.getBoundingClientRect();
  const chips = [...cell.querySelectorAll('.stage')].map((c) => {
    const r = c.getBoundingClientRect();
    return { text: c.textContent, clipped: c.scrollWidth > c.clientWidth,
             inside: r.left >= box.left - 0.5 && r.right <= box.right + 0.5 };
  });
  return { height: row.getBoundingClientRect().height,
           clipped: [...row.cells].filter((c) => c.scrollWidth > c.clientWidth)
             .map((c) => c.textContent.trim()),
           chips, stages: chips.map((c) => c.text) };
}"""


def _client(server, user: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=30.0,
                        headers={"Authorization": f"Bearer {token_of(server, user)}"})  # fmt: skip


def _issue(c: httpx.Client, name: str, **arguments) -> dict:
    r = c.post("/api/commands", json={"name": name, "arguments": arguments})
    assert r.status_code == 201, r.text
    return r.json()


def _completed(c: httpx.Client, command: dict) -> dict:
    def done():
        entry = c.get(f"/api/commands/{command['id']}").json()
        return entry if entry["state"] in ("completed", "failed", "rejected") else None

    entry = wait_for(done, timeout_s=60, what=f"{command['name']} to end")
    assert entry["state"] == "completed", entry
    return entry


def _history(server) -> None:
    """Commands with every kind of verification: a plain one, a critical one with a
    constraint and a second approval, one with an argument; one more waiting for approval."""
    with _client(server, "flight.director") as fd, _client(server, "flight.director2") as fd2:
        _completed(fd, _issue(fd, "station.safe_mode_enter"))
        exit_ = _issue(fd, "station.safe_mode_exit")
        assert fd2.post(f"/api/commands/{exit_['id']}/approve").status_code == 200
        stages = [s["stage"] for s in _completed(fd, exit_)["stages"]]
        assert stages.count("approval") == 2  # pending, then ok: the page shows it once
        _completed(fd, _issue(fd, "rover.profiling_rover.drive", distance_km=3))
        assert _issue(fd, "station.safe_mode_exit")["state"] == "awaiting_approval"


def _open(browser, server, user: str, errors: list[str]):
    page = watched_page(browser, errors, 1000)
    page.set_viewport_size({"width": WIDTH, "height": 1000})
    login(page, server.url, token_of(server, user))
    page.goto(f"{server.url}/commanding")
    page.locator("#command-list li[data-name]").first.wait_for(timeout=15_000)
    page.locator("#history-rows tr").first.wait_for(timeout=15_000)  # filled (or "none")
    return page


def _no_horizontal_overflow(page) -> None:
    """Nothing wider than the window, no panel scrolled sideways, the nav bar whole."""
    widths = page.evaluate("""() => ({
      doc: document.documentElement.scrollWidth, win: window.innerWidth,
      nav: [document.querySelector('.ilrs-nav').scrollWidth,
            document.querySelector('.ilrs-nav').clientWidth],
      panels: [...document.querySelectorAll('.panel')].filter((p) => !p.hidden)
        .map((p) => [p.id, p.scrollWidth, p.clientWidth]) })""")
    assert widths["doc"] <= widths["win"], widths
    assert widths["nav"][0] <= widths["nav"][1], widths
    for name, scroll, client in widths["panels"]:
        assert scroll <= client, (name, scroll, client)


@needs_chromium
@needs_open_mct
def test_history_rows_are_one_line_with_every_stage_once_and_unclipped(served, browser):
    from playwright.sync_api import expect

    _history(served)
    IMG.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    page = _open(browser, served, "flight.director", errors)
    rows = page.locator("#history-rows tr[data-id]")
    expect(rows).to_have_count(4, timeout=15_000)
    facts = [rows.nth(i).evaluate(ROW_FACTS) for i in range(4)]
    exit_done = next(f for f in facts if "constraints" in f["stages"])
    assert exit_done["stages"] == ["queued", "authorized", "approval", "constraints",
                                   "released", "accepted", "started", "completed"]  # fmt: skip
    for f in facts:
        assert f["clipped"] == [], f  # time, command, user, state: all text shown
        assert all(not c["clipped"] and c["inside"] for c in f["chips"]), f
        assert len(f["stages"]) == len(set(f["stages"])), f  # each stage once
        assert f["height"] <= ONE_LINE_PX, f  # these names fit: one line each
    # the flight director: Send, Approve (not on its own command), Cancel, the fault panel
    waiting = page.locator("#approval-rows tr", has_text="station.safe_mode_exit")
    expect(waiting.get_by_role("button", name="Approve")).to_be_disabled()
    expect(waiting.get_by_role("button", name="Cancel")).to_be_enabled()
    expect(page.locator("#faults")).to_be_visible()
    page.click('li[data-name="rover.profiling_rover.drive"]')
    expect(page.locator("#command-form button.send")).to_be_visible()
    _no_horizontal_overflow(page)
    page.screenshot(path=IMG / "commanding-flight-director.png")
    assert errors == []


@needs_chromium
@needs_open_mct
def test_each_role_is_offered_only_what_it_may_do(served, browser):
    from playwright.sync_api import expect

    with _client(served, "flight.director") as fd:
        _completed(fd, _issue(fd, "station.safe_mode_enter"))  # raises an alarm (FDIR)
        _completed(fd, _issue(fd, "rover.profiling_rover.drive", distance_km=3))
        waiting = _issue(fd, "station.safe_mode_exit")
    IMG.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []

    # a partner operator: its own DISTRESS command, whole; Send, no fault panel
    page = _open(browser, served, "russia.operator", errors)
    page.click('li[data-name="payload.telecommunication_station.power_off"]')
    badge = page.locator("#command-form .badge")
    expect(badge).to_have_text("distress")
    fits = badge.evaluate("""(b) => { const r = b.getBoundingClientRect();
      const c = document.getElementById('composer').getBoundingClientRect();
      return { clipped: b.scrollWidth > b.clientWidth, width: r.width, shown: b.innerText,
               inside: r.left >= c.left && r.right <= c.right } }""")
    assert fits["shown"] == "DISTRESS" and not fits["clipped"] and fits["inside"], fits
    assert fits["width"] > 60, fits  # "DI" alone was ~20 px
    page.click("#command-form button.send")  # its own payload: sent and verified
    expect(page.locator("#send-result")).to_contain_text("power_off issued", timeout=15_000)
    row = page.locator("#history-rows tr", has_text="telecommunication_station.power_off")
    expect(row.locator(".state")).to_have_text("completed", timeout=30_000)
    assert row.evaluate(ROW_FACTS)["height"] <= ONE_LINE_PX
    expect(page.locator("#faults")).to_be_hidden()
    assert page.get_by_role("button", name="Declare and repair the plan").count() == 0
    _no_horizontal_overflow(page)
    page.screenshot(path=IMG / "commanding-operator.png")
    page.close()

    # a viewer: the definitions and the queue, no Send, no Approve / Cancel, no fault panel
    page = _open(browser, served, "viewer", errors)
    queued = page.locator("#approval-rows tr", has_text="station.safe_mode_exit")
    expect(queued).to_have_count(1, timeout=15_000)
    assert queued.get_by_role("button").count() == 0
    page.click('li[data-name="station.safe_mode_exit"]')
    expect(page.locator("#read-only")).to_contain_text("Your role (viewer) may read")
    expect(page.locator("#composer-title")).to_have_text("Command definition")
    assert page.locator("#command-form button").count() == 0
    assert page.locator("#command-form input:not([disabled])").count() == 0
    expect(page.locator("#faults")).to_be_hidden()
    _no_horizontal_overflow(page)
    page.screenshot(path=IMG / "commanding-viewer.png")
    # … and on the alarms page the alarm without Acknowledge / Shelve
    page.click(".ilrs-nav a[data-page=alarms]")
    alarm = page.locator('tr.alarm[data-parameter="station.fdir.safe_mode"]')
    expect(alarm).to_have_count(1, timeout=30_000)
    assert alarm.locator("button, select").count() == 0
    expect(page.locator("#active th", has_text="Actions")).to_be_hidden()
    page.close()
    # what the page leaves out, the server refuses: the viewer's Send, Approve, Acknowledge
    with _client(served, "viewer") as viewer:
        assert viewer.post("/api/commands", json={"name": "station.safe_mode_enter"}
                           ).status_code == 403  # fmt: skip
        assert viewer.post(f"/api/commands/{waiting['id']}/approve").status_code == 403
        assert viewer.post("/api/alarms/station.fdir.safe_mode/acknowledge"
                           ).status_code == 403  # fmt: skip
    assert errors == []
