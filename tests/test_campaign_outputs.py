"""Gantt chart files and measures of effectiveness."""

from __future__ import annotations

import pytest

from ilrs.campaign import Roadmap, measures_of_effectiveness
from ilrs.campaign.gantt import gantt_figure, write_gantt
from ilrs.cli import main
from ilrs.errors import InputError


@pytest.fixture(scope="module")
def roadmap() -> Roadmap:
    return Roadmap.load_builtin()


def test_gantt_png_and_html(tmp_path, roadmap):
    png = write_gantt(roadmap, tmp_path / "g.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = write_gantt(roadmap, tmp_path / "g.html").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "<svg" in html
    with pytest.raises(InputError):
        write_gantt(roadmap, tmp_path / "g.txt")


def test_gantt_draws_one_row_per_mission_and_slip_arrows(roadmap):
    ax = gantt_figure(roadmap).axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [m.id for m in roadmap.missions]
    # an arrow for each mission whose first announced date differs from the latest one:
    # Luna-25, Luna-26, Luna-27, Luna-28, Chang'e-6, Chang'e-7, Chang'e-8.
    slipped = [m.id for m in roadmap.missions if m.launch_date != m.first_announced_date]
    arrows = [c for c in ax.texts if getattr(c, "arrow_patch", None) is not None]
    assert len(arrows) == len(slipped) == 7


def test_cli_gantt(tmp_path, capsys):
    out = tmp_path / "chart.svg"
    assert main(["campaign", "gantt", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_measures_of_effectiveness(roadmap):
    moe = measures_of_effectiveness(roadmap)
    # ILRS-1 (2031): command center 3,000 + energy 8,000 + telecom 1,500 kg (estimates).
    assert moe.surface_mass_kg_by_year[2031] == 12_500
    assert moe.surface_mass_kg_by_function["energy"] == {2031: 8_000}
    # facilities: 3 after ILRS-1, all 13 seed facilities once ILRS-5 has landed in 2035.
    assert (moe.facilities_by_year[2031], moe.facilities_by_year[2035]) == (3, 13)
    # partner payloads: ICUBE-Q (Pakistan) on Chang'e-6; 6 international on Chang'e-7
    # (facts); Pakistan, Turkey and Russia payloads on Chang'e-8.
    assert moe.partner_payloads_by_year == {2024: 1, 2026: 6, 2029: 3}
    # Chang'e-6: 8,350 kg on LM-5's 8,350 kg -> fully used.
    assert moe.utilization_by_mission["Chang'e-6"] == 1.0
    assert "Luna-28" not in moe.utilization_by_mission  # no capacity published for Angara
    assert 0.85 < moe.utilization_overall < 1.0
