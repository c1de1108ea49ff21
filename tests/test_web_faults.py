"""The fault panel of the commanding page in a real browser (Debian's headless Chromium
through Playwright): a flight director declares an array degradation and the planner
repairs the current plan and delivers a new version (issue 12: "on a fault injected from
the dashboard … the planner repairs the rest of the plan and re-uploads"); an operator,
who may upload plans but not declare faults, is not offered the panel, the server refuses
its request all the same, and no version is added."""

from __future__ import annotations

import json
import re

import httpx

from conftest import watched_page
from ilrs.ops.api.serve import Server
from test_web_dashboard import OUT, login, needs_chromium, needs_open_mct, token_of
from test_web_plan import _upload


def _versions(server: Server, token: str) -> list[dict]:
    with httpx.Client(base_url=server.url, timeout=30.0,
                      headers={"Authorization": f"Bearer {token}"}) as c:  # fmt: skip
        return c.get("/api/plans").json()


@needs_chromium
@needs_open_mct
def test_a_fault_declared_on_the_dashboard_repairs_the_plan(served, browser):
    from playwright.sync_api import expect

    operator = token_of(served, "russia.operator")
    director = token_of(served, "flight.director")
    uploaded = _upload(served, operator)["version"]
    OUT.mkdir(exist_ok=True)
    # an operator: no fault panel (its roles may not repair plans); the server refuses anyway
    errors: list[str] = []
    page = watched_page(browser, errors)
    login(page, served.url, operator)
    page.goto(f"{served.url}/commanding")
    expect(page.locator("#command-list li[data-name]").first).to_be_visible(timeout=15_000)
    expect(page.locator("#faults")).to_be_hidden()
    assert page.locator("#fault-form").count() == 0
    page.close()
    with httpx.Client(base_url=served.url, timeout=30.0,
                      headers={"Authorization": f"Bearer {operator}"}) as c:  # fmt: skip
        refused = c.post("/api/plans/repair", json={"reason": "relay lost (operator)",
                                                    "fault": {"kind": "relay-outage"}})
    assert refused.status_code == 403, refused.text
    # the flight director: a third of array-1a lost, the plan repaired and delivered
    page = watched_page(browser, errors)
    login(page, served.url, director)
    page.goto(f"{served.url}/commanding")
    page.select_option("#fault-kind", "array-degradation")
    expect(page.locator("#fault-magnitude-field")).to_be_visible()
    page.fill("#fault-target", "array-1a")
    page.fill("#fault-magnitude", "0.33")
    page.fill("#fault-reason", "array-1a string open")
    page.click("#fault-form button[type=submit]")
    result = page.locator("#fault-result")
    expect(result).to_contain_text("delivered in", timeout=30_000)
    version = int(re.match(r"Plan v(\d+) delivered", result.text_content()).group(1))
    assert version > uploaded
    expect(page.locator("#plan-current")).to_contain_text("Current plan: v",
                                                         timeout=15_000)
    page.screenshot(path=OUT / "dashboard-fault.png")
    assert errors == []
    # (the planner may add repairs of its own on a drift: look versions up by reason)
    reasons = {v["version"]: v["reason"] for v in _versions(served, director)}
    assert reasons[version] == "repair: array-1a string open"
    assert not any("operator" in r for r in reasons.values())
    records = served.station.ops.archive.audit_records()
    refused = [r for r in records if r.action == "plan.repair" and r.user == "russia.operator"]
    assert refused and refused[-1].outcome != "ok"
    audit = [r for r in records if r.action == "plan.repair" and r.user == "flight.director"]
    assert audit and audit[-1].outcome == "ok"
    assert json.loads(audit[-1].request)["fault"] == {
        "kind": "array-degradation", "target": "array-1a", "magnitude": 0.33}
