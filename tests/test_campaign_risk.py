"""The slip Monte Carlo: fitted slip models, reproducibility, direction of widening,
dependency propagation against a plain loop, and speed."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from ilrs.campaign import Roadmap, fit_slip_models, schedule_risk
from ilrs.campaign import _kernels as kernels
from ilrs.campaign.dates import to_mjd
from ilrs.campaign.risk import VEHICLE_PREFIX, prepare, simulate_block
from ilrs.campaign.slips import observations
from ilrs.cli import main
from ilrs.scale import Block


@pytest.fixture(scope="module")
def roadmap() -> Roadmap:
    return Roadmap.load_builtin()


def test_observations_come_from_the_announcement_history(roadmap):
    obs = {(o.mission, o.planned): o for o in observations(roadmap)}
    # seed: Luna 28 in 2027 (Guide, 16 Jun 2021); facts: now ~2033-34 (earlier end used).
    luna28 = obs[("Luna-28", "2027")]
    assert luna28.replaced_by == "2033"
    assert luna28.slip_days == to_mjd("2033") - to_mjd("2027")
    assert luna28.lead_days == to_mjd("2027") - to_mjd("2021-06-16")
    # facts: Chang'e-6 launched 3 May 2024, ahead of the seed's mid-2024: an early launch.
    assert obs[("Chang'e-6", "2024")].rate < 0
    assert len(obs) == 10


def test_slip_models_per_agency(roadmap):
    models = fit_slip_models(roadmap)
    cnsa, ros = models["CNSA"], models["Roscosmos"]
    assert (cnsa.n_observations, ros.n_observations, models["*"].n_observations) == (5, 5, 10)
    assert cnsa.p_on_time == pytest.approx(0.2)  # Chang'e-6 came early
    assert ros.p_on_time == 0.0
    assert ros.median_rate > cnsa.median_rate > 0
    assert models["*"].widened(2.0).median_rate == pytest.approx(2 * models["*"].median_rate)


def test_reproducible_for_a_seed_and_different_for_another(roadmap):
    a = schedule_risk(roadmap, trials=30_000, seed=11)
    b = schedule_risk(roadmap, trials=30_000, seed=11)
    c = schedule_risk(roadmap, trials=30_000, seed=12)
    assert np.array_equal(a.counts, b.counts)
    assert a.mission_percentiles() == b.mission_percentiles()
    assert not np.array_equal(a.counts, c.counts)
    assert a.counts[:-1].sum(axis=1).tolist() == [30_000] * len(a.inputs.ids)


def test_partitioning_does_not_change_results(roadmap):
    one = schedule_risk(roadmap, trials=25_000, seed=3, blocks_per_chunk=1)
    three = schedule_risk(roadmap, trials=25_000, seed=3, blocks_per_chunk=3)
    assert np.array_equal(one.counts, three.counts)


def _p50(result, mission):
    return next(r for r in result.mission_percentiles() if r["mission"] == mission)["p50_launch"]


def test_p50_moves_later_when_slips_widen(roadmap):
    narrow = schedule_risk(roadmap, trials=20_000, seed=5, widen=0.5)
    base = schedule_risk(roadmap, trials=20_000, seed=5)
    wide = schedule_risk(roadmap, trials=20_000, seed=5, widen=2.0)
    for mission in ("Chang'e-8", "Luna-28", "ILRS-1", "ILRS-5"):
        assert _p50(narrow, mission) < _p50(base, mission) < _p50(wide, mission)
    assert narrow.p_basic_by_due > base.p_basic_by_due > wide.p_basic_by_due
    completion = [r.completion_percentiles()["P50"] for r in (narrow, base, wide)]
    assert completion == sorted(completion)


def test_flown_missions_keep_their_dates(roadmap):
    result = schedule_risk(roadmap, trials=10_000, seed=2)
    row = next(r for r in result.mission_percentiles() if r["mission"] == "Chang'e-6")
    assert row["p10_launch"] == row["p90_launch"] == "2024-05-03"
    assert row["p50_arrival"] == "2024-06-02"


def test_dependencies_hold_in_every_trial(roadmap):
    inputs = prepare(roadmap)
    launch = simulate_block(inputs, 9, Block(0, 0, 5_000))
    col = {k: i for i, k in enumerate(inputs.ids)}
    arrival = launch + inputs.offset_days
    for before, after in [("ILRS-1", "ILRS-2"), ("ILRS-1", "ILRS-5"), ("Chang'e-7", "Chang'e-8"),
                          ("Chang'e-8", "ILRS-1"), ("Luna-27", "Luna-28")]:
        assert np.all(launch[:, col[after]] >= arrival[:, col[before]])
    as_of = to_mjd(roadmap.as_of)
    free = ~inputs.fixed
    assert np.all(launch[:, free] >= as_of)
    # LM-9 first flies ~2030 (facts): its first flight is a node every ILRS mission waits for.
    lm9 = col[VEHICLE_PREFIX + "LM-9"]
    assert launch[:, lm9].min() >= to_mjd("2030")
    for n in range(1, 6):
        assert np.all(launch[:, col[f"ILRS-{n}"]] >= launch[:, lm9])
    assert VEHICLE_PREFIX + "LM-5" not in col  # flown since 2016


def test_a_late_first_flight_holds_missions_back(tmp_path, roadmap):
    path = tmp_path / "late-lm9.yaml"
    path.write_text(
        "extends: builtin\nvehicles:\n  - id: LM-9\n"
        "    first_flight: {date: 2033, planned: true, source: test}\n", encoding="utf-8")
    late = schedule_risk(Roadmap.load(path), trials=10_000, seed=3)
    p10 = next(r for r in late.mission_percentiles() if r["mission"] == "ILRS-1")["p10_launch"]
    assert p10 >= "2033-07-02"
    [row] = late.vehicle_percentiles()
    assert row["vehicle"] == "LM-9" and row["p10_first_flight"] >= "2033-07-02"


def _propagate_slowly(base, lead, offset, fixed, deps, rates):
    n_trials, n = rates.shape
    out = np.zeros((n_trials, n))
    for t in range(n_trials):
        for i in range(n):
            if fixed[i]:
                out[t, i] = base[i]
                continue
            value = base[i] + rates[t, i] * lead[i]
            for j in deps[i]:
                if j >= 0:
                    value = max(value, out[t, j] + offset[j])
            out[t, i] = value
    return out


def test_vectorized_propagation_equals_a_plain_loop(roadmap):
    inputs = prepare(roadmap, widen=1.7)
    rng = np.random.default_rng(4)
    rates = kernels.draw_rates(rng, 300, inputs.p_on_time, inputs.log_mean, inputs.log_sd,
                         inputs.max_rate)
    args = (inputs.base_mjd, inputs.lead_days, inputs.offset_days, inputs.fixed, inputs.deps)
    assert np.array_equal(kernels.propagate(*args, rates), _propagate_slowly(*args, rates))


def test_count_days_matches_a_histogram():
    values = np.array([[10.2, 11.9], [10.9, 13.0], [15.5, 9.0]])
    counts = kernels.count_days(values, first_mjd=10, n_days=4)
    assert counts.tolist() == [[2, 0, 0, 1], [1, 1, 0, 1]]


def test_rates_follow_their_model():
    rng = np.random.default_rng(8)
    rates = kernels.draw_rates(rng, 200_000, np.array([0.0]), np.array([np.log(0.3)]),
                         np.array([0.4]), np.array([10.0]))
    assert np.median(rates) == pytest.approx(0.3, rel=0.01)
    assert np.std(np.log(rates)) == pytest.approx(0.4, rel=0.02)


def test_hundred_thousand_trials_in_under_ten_seconds(roadmap):
    start = time.perf_counter()
    schedule_risk(roadmap, trials=100_000, seed=0)
    assert time.perf_counter() - start < 10.0


def test_cli_risk_json_and_histogram(tmp_path, capsys):
    hist = tmp_path / "risk.png"
    args = ["campaign", "risk", "--trials", "20000", "--seed", "7", "--hist", str(hist),
            "--format", "json"]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["trials"] == 20_000 and 0 <= data["p_basic_model_by_due"] <= 1
    assert {r["mission"] for r in data["missions"]} >= {"ILRS-1", "ILRS-5"}
    assert hist.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
