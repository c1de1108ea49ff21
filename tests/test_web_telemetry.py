"""Open MCT's plot legend and inspector on mission terms, in a real browser (Debian's
headless Chromium through Playwright) at 1,400 px against what ``ilrs serve`` runs
(issue 23: the legend's Timestamp / Value cells were blank, Min / Max printed 14 digits
without a unit, and the inspector showed a wall-clock "Created" beside mission time)."""

from __future__ import annotations

import re

from conftest import watched_page
from test_web_dashboard import ROOT, login, needs_chromium, needs_open_mct, token_of

#: A value as the dashboard prints it: at most 6 significant digits, then the unit.
VALUE_W = re.compile(r"^-?\d+(\.\d+)? W$")


def _significant(text: str) -> int:
    digits = text.split()[0].lstrip("-").replace(".", "").lstrip("0")
    return len(digits.rstrip("0")) if "." not in text else len(digits)


@needs_chromium
@needs_open_mct
def test_the_plot_legend_and_the_inspector_speak_mission_terms(served, browser):
    from playwright.sync_api import expect

    errors: list[str] = []
    page = watched_page(browser, errors, 1000)
    page.set_viewport_size({"width": 1400, "height": 1000})
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    login(page, served.url, token_of(served, "flight.director"))
    tree = page.get_by_role("tree", name="Main Tree")
    tree.get_by_role("button", name="Expand ILRS folder").click(timeout=15_000)
    for folder in ("china", "station", "power"):
        tree.get_by_role("button", name=f"Expand {folder} folder").click()
    tree.get_by_role("treeitem", name=re.compile(r"station\.power\.generation_w")).click()
    expect(page.locator(".gl-plot").first).to_be_visible(timeout=15_000)
    page.click(".c-plot-legend__view-control")  # the expanded legend
    legend = page.locator(".plot-wrapper-expanded-legend")
    # the unit rides with each value: no Unit column
    expect(legend.locator("th")).to_have_text(["Name", "Timestamp", "Value", "Min", "Max"])
    row = legend.locator("tr.plot-legend-item").first
    # not hovering: Timestamp and Value show the newest live point, not blanks
    expect(row.locator(".ilrs-latest.value")).to_have_text(VALUE_W, timeout=15_000)
    expect(row.locator(".ilrs-latest.timestamp")).to_have_text(re.compile(r"^2036-\d\d-\d\d "))
    cells = row.locator("td")
    for i in (3, 4):  # Min, Max: a unit and sensible precision, not 77472.88843358254
        text = cells.nth(i).inner_text().strip()
        assert VALUE_W.match(text) and _significant(text) <= 6, text
    clipped = row.evaluate("(r) => [...r.cells].filter((c) => c.scrollWidth > c.clientWidth)"
                           ".map((c) => c.innerText)")  # fmt: skip
    assert clipped == []
    # hovering: Open MCT's own readout, printed the same way; the "latest" steps aside
    chart = page.locator(".gl-plot-chart-area").first.bounding_box()
    page.mouse.move(chart["x"] + chart["width"] * 0.6, chart["y"] + chart["height"] / 2)
    expect(cells.nth(2).locator("span.plot-series-value")).to_have_text(VALUE_W)
    expect(row.locator(".ilrs-latest.value")).to_be_hidden()
    page.mouse.move(0, 0)
    # the y axis: plain numbers, its unit in the axis label
    ticks = page.locator(".gl-plot-y-tick-label, .gl-plot-tick").all_inner_texts()
    numbers = [t.strip() for t in ticks if t.strip() and re.fullmatch(r"-?[\d.]+", t.strip())]
    assert numbers and all(_significant(t) <= 6 for t in numbers), ticks
    expect(page.locator(".gl-plot-label, .c-plot-y-label").first).to_contain_text("Value (W)")
    # the inspector: no wall-clock "Created" / "Modified" (My Items was saved on the ground's
    # clock at sign-in; the rows exist, hidden)
    page.screenshot(path=ROOT / "docs" / "img" / "plot-legend.png")
    tree.get_by_role("treeitem", name="My Items").click()
    expect(page.locator('[aria-label="Title inspector properties"]')).to_contain_text("My Items")
    created = page.locator('[aria-label="Created inspector properties"]')
    expect(created).to_have_count(1)
    expect(created).to_be_hidden()
    expect(page.locator('[aria-label="Modified inspector properties"]')).to_be_hidden()
    assert errors == [] and console == [], (errors, console)
