"""The station twin's mission report: its sections, values a reader can use, texts true to
the period run, and the page as headless Chromium renders it (screenshot, filter)."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from ilrs.report import write_twin_report
from ilrs.report.findings import margins
from ilrs.report.provenance import assumption_rows, scenario_hash
from ilrs.station import Twin, load_scenario

SECTIONS = ("findings", "kpis", "lighting", "sky", "survival", "power", "energy", "data",
            "science", "buildup", "assumptions", "provenance", "events")
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _short(stop: str):
    sc = load_scenario(None)
    period = type(sc.period).model_validate({**sc.period.model_dump(), "stop": stop,
                                             "step_s": 600})
    return sc.model_copy(update={"period": period})


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The reference scenario stopped early (2032-03-31, 10-min steps) and its report."""
    res = Twin.from_scenario(_short("2032-03-31")).run()
    out = tmp_path_factory.mktemp("report")
    return res, write_twin_report(res, out)


def test_every_section_is_there_with_values(run):
    res, path = run
    html = path.read_text()
    for ident in SECTIONS:
        assert f"<section id={ident}>" in html, ident
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)>.*?</\1>", "", html, flags=re.S))
    for bad in ("None", "nan", "-0.000", "inf "):
        assert not re.search(rf"(?<![\w-]){re.escape(bad)}(?![\w])", text), bad
    # every event is listed, not a selection
    assert html.count("<tr data-source=") == len(res.events) > 0


def test_texts_follow_the_period_actually_run(run):
    _, path = run
    html = path.read_text()
    assert "to the end of 2040" not in html and "2031-08-01 … 2032-03-31" in html
    summary = json.loads((path.parent / "sky-summary.json").read_text())
    assert summary["start_utc"][:10] == "2032-01-01" and summary["stop_utc"][:10] == "2032-03-31"


def test_the_sky_is_told_against_the_terrain_horizon(run, sky):
    """The Sun's time above the horizon counts the terrain the elements see, checked
    against the Sun's elevation and the horizon's elevation in its azimuth."""
    import numpy as np

    from ilrs.sky import Epochs

    res, path = run
    summary = json.loads((path.parent / "sky-summary.json").read_text())
    assert summary["horizon"] == "terrain horizon (LOLA-derived reference)"
    horizon = res.geometry.horizons[res.scenario.site.element_mast_m]
    epochs = Epochs.from_range(summary["start_utc"], summary["stop_utc"], summary["step_s"])
    sun = sky.topocentric("sun", res.geometry.site, epochs)
    above = np.mean(sun.elevation_deg > np.degrees(horizon.elevation_at(sun.azimuth_rad)))
    assert summary["sun_center_above_horizon_fraction"] == pytest.approx(above, abs=1e-12)
    mathematical = np.mean(sun.elevation_deg > 0)
    assert abs(above - mathematical) > 0.01  # the terrain matters at this site


def test_binding_constraint_is_the_smallest_margin(run):
    res, _ = run
    ranked = margins(res)
    assert [m.fraction for m in ranked] == sorted(m.fraction for m in ranked)
    soc = next(m for m in ranked if m.name.startswith("stored energy"))
    floor = 1.0 - res.scenario.batteries[0].depth_of_discharge
    assert soc.fraction == pytest.approx((res.kpis["min_soc"] - floor) / (1.0 - floor))


def test_assumptions_name_every_component_with_its_source(run):
    res, _ = run
    rows = assumption_rows(res.scenario)
    ids = {r[0] for r in rows}
    sc = res.scenario
    for group in ("solar_arrays", "rtgs", "fission_units", "batteries", "rfcs", "isru",
                  "rovers"):
        assert {c.id for c in getattr(sc, group)} <= ids
    assert all(r[4] for r in rows)  # every row has its source
    assert scenario_hash(sc) == scenario_hash(sc.model_copy())
    assert scenario_hash(sc) != scenario_hash(_short("2032-03-30"))


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)")
def test_report_in_headless_chromium(run, tmp_path):
    from playwright.sync_api import sync_playwright

    res, path = run
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(path.as_uri())
            shot = tmp_path / "report.png"
            page.screenshot(path=shot, full_page=True)
            assert shot.stat().st_size > 100_000
            for ident in SECTIONS:
                assert page.locator(f"section#{ident} h2").is_visible(), ident
            body = page.inner_text("body")
            for bad in ("None", "NaN", "nan"):
                assert not re.search(rf"\b{bad}\b", body), bad
            images = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
            assert len(images) == 6 and min(images) > 500  # every figure decoded
            # the event log: collapsed, then every event; the filter narrows it
            rows = page.locator("#event-table tbody tr")
            assert not rows.first.is_visible()
            page.click("#event-log summary")
            assert rows.count() == len(res.events)
            page.select_option("#event-source", "campaign")
            landings = sum(e[1] == "campaign" for e in res.events)
            assert page.inner_text("#event-count") == str(landings)
            page.fill("#event-filter", "ILRS-1")
            assert 1 <= int(page.inner_text("#event-count")) <= landings
        finally:
            browser.close()
