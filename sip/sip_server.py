"""Starting the shipped SIP server (deploy/kamailio/kamailio.cfg) against this app's database:
for `manage.py run_sip_server` and for the tests that prove the setup against it."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from sip.sip_client import UserAgent

CONFIG = Path(settings.BASE_DIR) / "deploy" / "kamailio" / "kamailio.cfg"


def database_url(database: dict | None = None) -> str:
    """The database as Kamailio's db_sqlite or db_postgres module names it."""
    database = database or connection.settings_dict
    if database["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(database['NAME']).resolve()}"  # sqlite:////abs/path
    user = quote(database.get("USER") or "", safe="")
    password = f":{quote(str(database['PASSWORD']), safe='')}" if database.get("PASSWORD") else ""
    host = database.get("HOST") or "127.0.0.1"
    port = f":{database['PORT']}" if database.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{database['NAME']}"


def command(
    listen: str, *, sha256: bool = False, database: dict | None = None, pid_file: str | None = None
) -> list[str]:
    kamailio = shutil.which("kamailio") or "/usr/sbin/kamailio"
    url = database_url(database)
    args = [kamailio, "-f", str(CONFIG), "-DD", "-E", "-l", f"udp:{listen}"]
    args += ["-A", f'SQLCON="auth=>{url}"', "-w", tempfile.gettempdir()]
    if url.startswith("postgres"):
        args += ["-A", "POSTGRES"]
    if sha256:
        args += ["-A", "SHA256"]
    if pid_file:
        args += ["-P", pid_file]
    return args


def answers(host: str, port: int) -> bool:
    """Whether a SIP server answers an OPTIONS there."""
    agent = UserAgent((host, port), timeout=0.3)
    try:
        agent.request("OPTIONS", f"sip:{host}:{port}", f"sip:{host}", "sip:probe@whippy.invalid")
        return agent.response("OPTIONS")[0] == 200
    finally:
        agent.close()


def start(port: int, *, sha256: bool = False, database: dict | None = None) -> subprocess.Popen:
    """Starts Kamailio on 127.0.0.1:port and returns once it answers (or raises)."""
    # Kamailio logs to stderr; a file, not a pipe nobody reads, so it can never block on it.
    log = tempfile.NamedTemporaryFile(prefix="kamailio-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(  # noqa: S603 - our own command line
        command(f"127.0.0.1:{port}", sha256=sha256, database=database),
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    process.log_path = log.name
    log.close()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stopped = Path(log.name).read_text()[-2000:]
            Path(log.name).unlink(missing_ok=True)
            raise RuntimeError(f"Kamailio stopped: {stopped}")
        if answers("127.0.0.1", port):
            return process
    stop(process)
    raise RuntimeError("Kamailio did not answer within 15 seconds.")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    Path(getattr(process, "log_path", "/nonexistent")).unlink(missing_ok=True)
