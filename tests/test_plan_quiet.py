"""Radio quiet against the station's own transmitter, and FDIR's restore hysteresis at the
start of a plan (issue 20's "missing in the model")."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ilrs.plan import load_activities
from ilrs.plan.cpsat import plan_cpsat
from ilrs.plan.greedy import plan_greedy
from ilrs.plan.plan import Activity
from ilrs.plan.problem import build_problem, restore_slot
from ilrs.plan.replay import replay
from ilrs.station import _kernels as k
from ilrs.station.build import block_inputs
from plan_support import planned

#: polar night at the reference site, the Earth rising on the 8th, ILRS-5 on site
NIGHT = "2036-12-07"
H = 3600.0


@pytest.fixture(scope="module")
def night():
    twin, acts, _, horizon, problem, greedy, hint = planned(NIGHT, 2.0)
    cpsat = plan_cpsat(problem, time_limit_s=10.0, hint=hint)
    return twin, acts, horizon, {"greedy": greedy, "cpsat": cpsat}


def test_radio_astronomy_is_radio_quiet_in_the_default_set():
    t = load_activities(None).by_id("radio-astronomy")
    assert t.radio_quiet and "radio quiet" in t.source
    assert not load_activities(None).by_id("seismic-monitoring").radio_quiet


def test_the_transmitter_mask_is_the_twins(night):
    """Every minute the replayed twin transmits lies in a slot the horizon marks on, and
    the mask is no blanket: the relay's daily gap leaves quiet slots."""
    twin, acts, horizon, plans = night
    _, result = replay(twin, plans["greedy"], acts)
    cols = result.full_resolution
    slot = ((cols["tdb_s"] - horizon.start_tdb_s) // horizon.slot_s).astype(int)
    keep = (slot >= 0) & (slot < horizon.n_slots)
    tx = (cols["flags"][keep] & k.F_TX) > 0
    assert tx.any() and (~tx).any()
    assert horizon.transmitter_on[slot[keep][tx]].all()
    quiet = ~horizon.transmitter_on
    assert 2 <= quiet.sum() < 0.2 * horizon.n_slots   # ~2 h a day out of the relay's view
    # the twin's down-link rate is what decides: no quiet slot has any downlink
    assert (horizon.downlink_bit[quiet] == 0).all()


@pytest.mark.parametrize("planner", ["greedy", "cpsat"])
def test_the_planners_never_place_radio_astronomy_while_transmitting(night, planner):
    twin, acts, _horizon, plans = night
    plan = plans[planner]
    radio = [a for a in plan.activities if a.kind == "radio-astronomy"]
    assert radio, "the plan should observe in the quiet slots of the night"
    report, result = replay(twin, plan, acts)
    assert report["valid"], report["violations"]
    assert not [v for v in report["violations"] if v["rule"] == "radio-quiet"]
    cols = result.full_resolution
    tx = (cols["flags"] & k.F_TX) > 0
    minutes = 0
    for a in radio:
        inside = (cols["tdb_s"] >= a.start_tdb_s - 0.01) & (cols["tdb_s"] < a.stop_tdb_s - 0.01)
        assert not tx[inside].any(), a
        minutes += inside.sum()
    assert minutes >= 60
    assert report["kpis"]["execution_fidelity"] >= 0.99


def test_radio_astronomy_in_a_dte_contact_is_rejected(night):
    """A hand-edited plan moving the radio telescope into a DTE contact in the dark."""
    twin, acts, horizon, plans = night
    plan = plans["greedy"]
    c = horizon.conditions
    slot = int(np.flatnonzero(c["dark"] & c["earth_in_view"])[0])
    t0 = float(horizon.slot_tdb_s(slot))
    ty = acts.by_id("radio-astronomy")
    loud = Activity(name=ty.name, kind=ty.id, instance=0, start_tdb_s=t0,
                    stop_tdb_s=t0 + 2 * H, power_w=ty.power_w, data_bit_s=ty.data_bit_s,
                    needs=tuple(ty.needs), payload=ty.payload, rover=None, crew=0,
                    resource=ty.unary,
                    value=2 * ty.value_per_h)
    bad = dataclasses.replace(plan, activities=[a for a in plan.activities
                                                if a.kind != "radio-astronomy"] + [loud])
    report, result = replay(twin, bad, acts)
    assert not report["valid"]
    quiet = [v for v in report["violations"] if v["rule"] == "radio-quiet"]
    assert [v["attributed"] for v in quiet] == ["plan"]
    assert quiet[0]["activity"] == "radio-astronomy #0"
    # the rule is the twin's comms state: the minutes it names are minutes it transmitted
    cols = result.full_resolution
    inside = (cols["tdb_s"] >= t0 - 0.01) & (cols["tdb_s"] < t0 + 2 * H - 0.01)
    n_tx = int(((cols["flags"][inside] & k.F_TX) > 0).sum())
    assert n_tx > 0 and f"ran {n_tx:,.0f} min" in quiet[0]["message"]
    # the plan's declarations do not count: declaring no needs changes nothing
    bare = dataclasses.replace(bad, activities=[*bad.activities[:-1],
                                                dataclasses.replace(loud, needs=())])
    report2, _ = replay(twin, bare, acts)
    assert "radio-quiet" in {v["rule"] for v in report2["violations"]}


# -- FDIR's restore hysteresis at the plan's start ------------------------------------------

SHED = "2036-12-01T00:00:00"   # no-fission: the rules shed science 2036-11-30 23:08 UTC
                               # and FDIR restores it at 08:54 (restore_science_soc)


@pytest.fixture(scope="module")
def shed():
    twin, acts, warm, horizon, *_ = planned(SHED, 2.0, "examples/no-fission.yaml", 10.0)
    return twin, acts, warm, horizon


def test_the_warm_state_carries_fdirs_shed(shed):
    twin, _acts, warm, horizon = shed
    fdir = twin.scenario.fdir
    cap_j = float(horizon.cap_nominal_j[0])
    assert warm["shed"] and not warm["hold"]
    assert warm["energy_j"] < fdir.restore_science_soc * cap_j
    assert horizon.restore_j is not None
    assert horizon.restore_j[0] == pytest.approx(fdir.restore_science_soc * cap_j, rel=1e-9)


def test_no_science_before_the_restore_point_and_the_plan_executes(shed):
    twin, acts, warm, horizon = shed
    first = restore_slot(horizon)
    assert 0 < first < horizon.n_slots
    plan, _ = plan_greedy(build_problem(acts, horizon))
    assert plan.activities
    assert min(a.start_tdb_s for a in plan.activities) >= horizon.slot_tdb_s(first) - 1e-3
    report, result = replay(twin, plan, acts, warm)
    assert report["kpis"]["execution_fidelity"] >= 0.99
    assert report["violations_by"]["plan"] == 0, report["violations"]
    # the twin restored science (its own event) no later than the planners' restore point
    restored = [e[0] for e in result.events if e[2] == "restore-science"
                and e[0] >= horizon.start_tdb_s]
    assert restored and restored[0] <= horizon.slot_tdb_s(first)


def test_without_the_hysteresis_the_check_blames_the_plan(shed):
    """The planner of the last round (no restore model) placed science while FDIR still
    held it shed: the replay runs none of it, and the check attributes the minutes not
    executed to the plan (it could have waited), the battery the station had anyway to
    the station."""
    twin, acts, warm, horizon = shed
    blind = dataclasses.replace(horizon, restore_j=None)
    plan, _ = plan_greedy(build_problem(acts, blind))
    report, _ = replay(twin, plan, acts, warm)
    who = {(v["rule"], v["attributed"]) for v in report["violations"]}
    assert ("not-executed", "plan") in who
    assert report["kpis"]["execution_fidelity"] < 0.95
    assert all(v["attributed"] == "station" for v in report["violations"]
               if v["rule"] == "battery-floor")


def test_the_limited_rules_keep_radio_quiet_too(night):
    """Held to the plan's limits, the rules run the radio telescope only in the dark while
    no link transmits (the unlimited rules: all through the dark)."""
    from ilrs.plan.replay import _period_twin
    from ilrs.plan.value import limited_rules

    twin, acts, horizon, _ = night
    t0, t1 = horizon.start_tdb_s, horizon.stop_tdb_s
    name = acts.by_id("radio-astronomy").payload
    idx = next(i for i, p in enumerate(twin.up.payloads) if p.name == name)

    def hours(t):
        run = _period_twin(t, t0, t1, 900.0, full=(t0, t1)).run()
        cols = run.full_resolution
        return run.kpis["science_hours"][name], (cols["flags"] & k.F_TX) > 0

    free, _ = hours(twin)
    quiet, tx = hours(limited_rules(twin, acts))
    assert free > 40.0                       # two polar nights' worth, less the duty
    assert 0.5 < quiet < 0.25 * free         # the relay's daily gaps only
    # where the limited rules run it, no link transmits (the twin's own inputs)
    limited = limited_rules(twin, acts)
    assert limited.up.payloads[idx].radio_quiet and not twin.up.payloads[idx].radio_quiet
    t = t0 + 60.0 * np.arange(round((t1 - t0) / 60.0))
    geo = limited.geometry(t[0], t[-1])
    occ, _ = limited.faults(t[0], t[-1] + 60.0)
    inp = block_inputs(t, 60.0, limited.scenario, limited.up, geo, occ,
                       np.zeros(len(limited.scenario.rovers)), limited.crew_visits_tdb())
    on = inp.payload_running[idx]
    assert on.sum() == pytest.approx(quiet * 60.0, abs=2.0)
    assert not (on & (inp.dl_bit_s > 0.0)).any() and not tx[on[: tx.size]].any()
