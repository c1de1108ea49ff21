"""``ilrs ops plan upload``: send a plan.json (as ``ilrs plan`` writes it) to a running
command center (``ilrs serve``), which checks it, stores it as the next version and
delivers it to the station as PUS-11 time-tagged commands."""

from __future__ import annotations

from pathlib import Path

import typer

from ilrs.cli import _options as opt

app = typer.Typer(help="Plans on a running command center.", no_args_is_help=True)

#: Where ``ilrs serve`` listens by default.
DEFAULT_URL = "http://127.0.0.1:8000"


@app.command("upload")
def upload(
    plan: Path = typer.Argument(..., metavar="PLAN", callback=opt.existing_file(
                                "plan file"), help="The plan (ilrs plan's plan.json)."),
    url: str = typer.Option(DEFAULT_URL, "--url", help="The command center's address."),
    token: str = typer.Option(..., "--token", envvar="ILRS_TOKEN", show_envvar=True,
                              help="Your API token (ilrs_…), e.g. one ilrs serve printed."),
    timeout_s: float = typer.Option(120.0, "--timeout", callback=opt.number(0, 3600,
                                    low_open=True, unit="s"), help="Seconds to wait for the "
                                    "server's answer (checking and delivering a 14-day plan "
                                    "takes a few)."),
) -> None:
    """Upload PLAN (a plan.json) as the station's new plan version; prints the version and the
    commands delivered. Refusals (role, a field, the size) are one line, exit 1."""
    import json

    import httpx

    from ilrs.errors import InputError, OpsClientError

    try:
        body = plan.read_bytes()
    except OSError as exc:
        raise InputError("PLAN", str(plan), f"a readable plan file ({exc.strerror})") \
            from None  # fmt: skip
    try:
        activities = len(json.loads(body)["activities"])
    except (ValueError, KeyError, TypeError):
        raise InputError("PLAN", str(plan), "a plan as ilrs plan writes it (JSON with "
                         "start_utc, stop_utc and activities)") from None  # fmt: skip
    if not url.startswith(("http://", "https://")):
        raise InputError("--url", url, f"an http:// or https:// address, e.g. {DEFAULT_URL}")
    try:
        response = httpx.post(f"{url.rstrip('/')}/api/plans", content=body, timeout=timeout_s,
                              headers={"Authorization": f"Bearer {token}",
                                       "Content-Type": "application/json"})  # fmt: skip
    except httpx.TimeoutException:
        raise InputError("--timeout", timeout_s, "long enough for the server to answer "
                         "(it may still store the plan: see GET /api/plans)") from None
    except httpx.HTTPError as exc:
        raise InputError("--url", url, f"the address of a running ilrs serve "
                         f"({type(exc).__name__}: {exc})") from None  # fmt: skip
    if response.status_code != 201:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        raise OpsClientError(response.status_code, f"plan refused: {detail}")
    answer = response.json()
    skipped = f", {answer['skipped']} left out (their time had passed on board)" \
        if answer.get("skipped") else ""  # fmt: skip
    typer.echo(f"plan v{answer['version']} stored: {activities} activities, "
               f"{len(answer['commands'])} commands delivered{skipped}")
