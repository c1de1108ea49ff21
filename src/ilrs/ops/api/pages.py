"""The web dashboard: the static ``web/`` folder (Open MCT + the ilrs plugin, the commanding,
alarms and lighting pages) served by the command center's own app, at the same address as the API.

Nothing comes from a CDN: Open MCT is served from ``web/node_modules/openmct/dist``, which
``make web`` installs from the committed ``web/package-lock.json``. Without it the
dashboard answers with a page saying so, and the API keeps working.
"""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

__all__ = ["OPENMCT_DIST", "PAGES", "dashboard_ready", "mount_dashboard"]

#: Where Open MCT's prebuilt bundle lies inside the web folder.
OPENMCT_DIST = Path("node_modules/openmct/dist")
#: The dashboard's pages, each at ``/<name>`` and ``/<name>.html``.
PAGES = ("index", "commanding", "alarms", "lighting")

_MISSING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ilrs dashboard — not installed</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;background:#1b1f24;color:#e6e6e6;
margin:0;display:grid;place-items:center;min-height:100vh}}main{{max-width:40em;
padding:2em;background:#262b32;border-radius:8px}}code{{background:#111;padding:.1em .4em;
border-radius:4px}}h1{{font-size:1.3em;color:#ffb347}}</style></head>
<body><main><h1>The ilrs dashboard is not installed</h1>
<p>Open MCT was not found in <code>{dist}</code>.</p>
<p>Run <code>make web</code> at the root of the ilrs repository (it runs
<code>npm ci</code> in <code>web/</code> from the committed lock file), then reload.</p>
<p>The REST API under <a href="/docs" style="color:#8ab4f8">/api</a> works without it.</p>
</main></body></html>
"""


def dashboard_ready(web_dir: Path) -> bool:
    """Is Open MCT installed in ``web_dir`` (``make web`` has run)?"""
    return (Path(web_dir) / OPENMCT_DIST / "openmct.js").is_file()


def mount_dashboard(app: FastAPI, web_dir: Path) -> None:
    """Serve the dashboard in ``web_dir`` at ``/`` (``/`` → ``index.html``).

    Routes are added after the API's, so ``/api`` and ``/docs`` keep precedence. If
    ``node_modules`` is missing the pages answer 503 with a page that says
    ``run make web``.
    """
    web_dir = Path(web_dir).resolve()
    if not (web_dir / "index.html").is_file():
        raise FileNotFoundError(f"no dashboard in {web_dir} (expected index.html)")
    missing = _MISSING.format(dist=html.escape(str(web_dir / OPENMCT_DIST)))

    def page(name: str):
        async def serve() -> Response:
            if not dashboard_ready(web_dir):
                return HTMLResponse(missing, status_code=503)
            return FileResponse(web_dir / f"{name}.html", headers={"Cache-Control": "no-cache"})

        return serve

    app.add_api_route("/", page("index"), methods=["GET"], include_in_schema=False)
    for name in PAGES:
        for path in (f"/{name}", f"/{name}.html"):
            app.add_api_route(path, page(name), methods=["GET"], include_in_schema=False)
    # everything else in web/ (the plugin, scripts, styles, node_modules/openmct/dist)
    app.mount("/", StaticFiles(directory=web_dir, check_dir=True), name="dashboard")
