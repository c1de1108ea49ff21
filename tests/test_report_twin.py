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

SECTIONS = ("findings", "kpis", "lighting", "sky", "survival", "power", "thermal", "energy", "data",
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
            assert len(images) == 7 and min(images) > 500  # every figure decoded
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


def test_the_findings_say_how_much_generation_is_curtailed():
    """The issue's reference decade: 4,838 MWh generated, 3,773 MWh curtailed, 1,065 MWh
    delivered (README's KPI table): 78 % curtailed, an oversized plant; a plant curtailing
    a tenth of its output is not."""
    from ilrs.report.findings import energy_finding

    big = energy_finding({"generated": 4_838_000.0, "curtailed": 3_773_000.0,
                          "delivered": 1_065_000.0})
    assert big.title == "Plant oversized"
    assert big.text.startswith("The power plant is oversized for its loads: 78 % of the "
                               "4,838 MWh generated was curtailed (3,773 MWh")
    assert "the loads took 22 % (1,065 MWh)" in big.text
    matched = energy_finding({"generated": 1000.0, "curtailed": 100.0, "delivered": 850.0})
    assert matched.title == "Energy" and "10 % of the 1.0 MWh generated" in matched.text
    assert energy_finding({"generated": 0.0}) is None


def test_the_report_states_the_runs_curtailment_among_the_first_findings(run):
    res, path = run
    from ilrs.report.findings import findings

    e = res.kpis["energy_kwh"]
    share = e["curtailed"] / e["generated"]
    found = findings(res)
    titles = [f.title for f in found]
    energy = found[2]
    assert titles[:2] == ["Verdict", "Binding constraint"]
    assert energy.title == ("Plant oversized" if share > 0.5 else "Energy")
    assert f"{round(100 * share)} % of the" in energy.text
    assert f"<dt>{energy.title}</dt>" in path.read_text()


def test_the_science_table_gives_hours_in_hours(run):
    res, path = run
    html = path.read_text()
    start = html.index("<section id=science>")
    science = html[start:html.index("</section>", start)]
    assert "<th>science hours</th>" in science and "days" not in science
    period_h = res.kpis["steps"] * res.kpis["step_s"] / 3600.0
    for name, hours in res.kpis["science_hours"].items():
        cells = re.search(rf"<td>{re.escape(name)}</td><td class=num>([\d,]+)</td>"
                          rf"<td class=num>([\d.]+) %</td>", science)
        assert cells, name
        assert int(cells[1].replace(",", "")) == round(hours)
        assert float(cells[2]) == pytest.approx(100 * hours / period_h, abs=0.05)


def _boxes(fig):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return renderer, fig.bbox


def test_legends_stay_off_the_plots_and_build_up_labels_are_whole(run):
    """Drawn by matplotlib: no legend overlaps any plotting area, and every build-up label
    is the element's whole name, inside the figure."""
    import matplotlib.pyplot as plt

    from ilrs.report.twin_figures import (
        RunView,
        buildup_figure,
        buildup_rows,
        power_month_figure,
        yearly_energy_figure,
    )

    res = RunView(run[0])
    for make in (power_month_figure, yearly_energy_figure):
        fig = make(res)
        renderer, page = _boxes(fig)
        legends = [a.get_legend() for a in fig.axes if a.get_legend() is not None]
        assert legends, make.__name__
        for legend in legends:
            box = legend.get_window_extent(renderer)
            assert page.contains(box.x0, box.y0) and page.contains(box.x1, box.y1)
            for ax in fig.axes:
                assert not box.overlaps(ax.get_window_extent(renderer)), make.__name__
        plt.close(fig)
    fig = buildup_figure(res)
    renderer, page = _boxes(fig)
    ticks = fig.axes[0].get_yticklabels()
    names = [label for label, _ in buildup_rows(res)]
    assert [t.get_text().replace("\n", " ") for t in ticks] == names
    assert any(len(n) > 38 for n in names)  # the names the old figure cut at 38 characters
    for t in ticks:
        box = t.get_window_extent(renderer)
        assert box.x0 >= page.x0 and box.y0 >= page.y0 and box.y1 <= page.y1, t.get_text()
    # this run stops 2032-03-31: ILRS-2 … 5 land later, drawn as notes, not as bars
    # running backwards from their landing to the end of the period
    bars = fig.axes[0].patches
    assert bars and all(b.get_width() > 0 for b in bars)
    notes = [t.get_text() for t in fig.axes[0].texts if "after the period" in t.get_text()]
    assert len(bars) + len(notes) == len(names) and any("ILRS-5" in n for n in notes)
    plt.close(fig)
