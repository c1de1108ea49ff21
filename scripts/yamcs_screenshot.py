"""Screenshot of Yamcs' web UI flying the twin, for docs/yamcs.md and the README.

Runs ``ilrs twin``'s StandaloneTwin and Yamcs (``ilrs yamcs init``'s instance) on free
ports of 127.0.0.1, waits until Yamcs shows the twin's housekeeping, and has headless
Chromium (Debian's, through playwright) take ``docs/img/yamcs-parameters.png``.

    .venv/bin/python scripts/yamcs_screenshot.py
"""

from __future__ import annotations

import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from ilrs.ops.spacecraft.alone import StandaloneTwin
from ilrs.ops.yamcs.instance import write_instance
from ilrs.ops.yamcs.server import YamcsProcess

OUT = Path(__file__).resolve().parents[1] / "docs" / "img"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="ilrs-yamcs-"))
    with StandaloneTwin(speed=60.0, port=0, pump_period_s=0.5) as alone:
        root = write_instance(folder, alone.mdb, http_port=_free_port(),
                              twin_port=alone.address[1])
        with YamcsProcess(root) as yamcs:
            alone.link.connected.wait(60)
            deadline = time.monotonic() + 60
            while alone.link.sent < 200 and time.monotonic() < deadline:
                threading.Event().wait(0.5)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=shutil.which("chromium"),
                                            args=["--no-sandbox", "--disable-gpu"])
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(f"{yamcs.url}/telemetry/parameters?c=ilrs__realtime&filter=station")
                page.wait_for_selector("text=station_battery_soc", timeout=60_000)
                page.wait_for_timeout(3000)  # let the live values arrive in the table
                page.screenshot(path=str(OUT / "yamcs-parameters.png"))
                browser.close()
    print(f"wrote {OUT / 'yamcs-parameters.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
