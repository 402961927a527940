"""Authenticated REGISTERs a second through Kamailio at the benchmark's big account (100,000
credentials, 5,000 attachments): the app's view (deploy/kamailio/kamailio.cfg, per domain and
purpose) side by side with the standard setup, Kamailio's auth_db on a plain subscriber table of
the same credentials (bench/sip/kamailio-stock.cfg). sipp drives both the same way.

    .venv/bin/python bench/sip_bench.py                  # SQLite (bench/bench.sqlite3)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/whippy_bench .venv/bin/python bench/sip_bench.py

BENCH_REGISTERS sets how many registrations each setup gets (default 20,000).
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.standalone import environment  # noqa: E402

environment()

REGISTERS = int(os.environ.get("BENCH_REGISTERS", "20000"))
CONCURRENCY = 64  # registrations in flight at once
PHONES = 16  # sipp processes, one SIP user each, spread over the big account's lists
TARGET = 0.8  # the view may cost at most 20% of the stock setup's rate
SIP = ROOT / "bench" / "sip"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stock_table(account_id: int, realm: str) -> None:
    """The standard subscriber table (Kamailio's schema, version 7) with the same digests."""
    from django.db import connection

    serial = "SERIAL" if connection.vendor == "postgresql" else "INTEGER"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS subscriber")
        cursor.execute("DROP TABLE IF EXISTS version")
        cursor.execute(
            "CREATE TABLE version (table_name VARCHAR(32) NOT NULL, table_version INTEGER NOT NULL)"
        )
        cursor.execute("INSERT INTO version VALUES ('subscriber', 7)")
        cursor.execute(
            f"CREATE TABLE subscriber (id {serial} PRIMARY KEY, username VARCHAR(64) NOT NULL,"
            " domain VARCHAR(64) NOT NULL, password VARCHAR(64) NOT NULL DEFAULT '',"
            " ha1 VARCHAR(128) NOT NULL, ha1b VARCHAR(128) NOT NULL DEFAULT '')"
        )
        cursor.execute("CREATE UNIQUE INDEX subscriber_account ON subscriber (username, domain)")
        cursor.execute(
            "INSERT INTO subscriber (username, domain, ha1) SELECT username, %s, ha1_md5"
            " FROM sip_credential WHERE account_id = %s",
            [realm, account_id],
        )


def users(count: int) -> list[tuple[str, str, str]]:
    """(username, domain, password) of count SIP users of the big account, spread over its
    lists, each on the domain its list is attached to for registrations."""
    picked = []
    for n in range(count):
        index, j = (n * 61) % 1000, (n * 7) % 100
        picked.append(
            (f"user-{index}-{j}", f"dom-{index}.sip.telnyx.com", f"Bench-Pass-{index}-{j}")
        )
    return picked


def kamailio(setup: str, port: int, url: str) -> subprocess.Popen:
    from sip.sip_server import answers
    from sip.sip_server import command

    postgres = url.startswith("postgres")
    if setup == "view":
        args = command(f"127.0.0.1:{port}")
    else:
        args = [
            shutil.which("kamailio") or "/usr/sbin/kamailio",
            "-f",
            str(SIP / "kamailio-stock.cfg"),
        ]
        args += ["-DD", "-E", "-l", f"udp:127.0.0.1:{port}", "-A", f'DBURL="{url}"']
        args += ["-w", tempfile.gettempdir()] + (["-A", "POSTGRES"] if postgres else [])
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while not answers("127.0.0.1", port):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"Kamailio ({setup}) did not start: {' '.join(args)}")
    return process


def drive(port: int, count: int, directory: Path) -> dict:
    """count registrations by PHONES sipp processes at once (one SIP user each, CONCURRENCY
    registrations in flight in all): the rate, the latencies, the failures. sipp 3.6 takes a
    digest's username and password from -au/-ap only, not from an injection file."""
    for old in directory.glob("*_rtt.csv"):
        old.unlink()
    each = count // PHONES
    processes = []
    started = time.monotonic()
    for n, (username, domain, password) in enumerate(users(PHONES)):
        phone = directory / f"phone-{n}"
        phone.mkdir(exist_ok=True)
        (phone / "user.csv").write_text(f"SEQUENTIAL\n{username};{domain}\n")
        args = ["sipp", f"127.0.0.1:{port}", "-sf", str(SIP / "register.xml")]
        args += ["-inf", "user.csv", "-au", username, "-ap", password, "-m", str(each)]
        args += ["-l", str(CONCURRENCY // PHONES), "-r", "100000", "-rp", "1000", "-nostdin"]
        args += ["-i", "127.0.0.1", "-trace_rtt", "-rtt_freq", "1"]
        processes.append(
            subprocess.Popen(args, cwd=phone, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )
    failed = sum(process.wait() != 0 for process in processes)
    elapsed = time.monotonic() - started
    times = []
    for path in directory.glob("phone-*/*_rtt.csv"):
        for line in path.read_text().splitlines()[1:]:
            fields = line.split(";")
            if len(fields) >= 2 and fields[1]:
                times.append(float(fields[1]))
    times.sort()
    for path in directory.glob("phone-*/*_rtt.csv"):
        path.unlink()
    return {
        "rate": each * PHONES / elapsed,
        "p50": statistics.median(times) if times else float("nan"),
        "p99": times[max(0, int(len(times) * 0.99) - 1)] if times else float("nan"),
        "failed": failed,
        "measured": len(times),
    }


def main() -> None:
    for tool in ("kamailio", "sipp"):
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            raise SystemExit(f"{tool} is needed: apt-get install -y kamailio sip-tester")
    subprocess.run([sys.executable, str(ROOT / "bench" / "seed.py")], check=True)
    import django

    django.setup()
    from accounts.models import ProviderAccount
    from sip.sip_server import database_url
    from sip.sip_server import stop

    big = ProviderAccount.objects.get(organization__slug="bench", name="Big")
    stock_table(big.pk, big.provider_info.realm)
    url = database_url()
    engine = url.split(":", 1)[0]
    results = {}
    with tempfile.TemporaryDirectory() as work:
        directory = Path(work)
        for setup in ("stock", "view"):
            port = free_port()
            process = kamailio(setup, port, url)
            try:
                drive(port, PHONES * 50, directory)  # warm up: connections, caches
                results[setup] = drive(port, REGISTERS, directory)
            finally:
                stop(process)
    print(
        f"\n## SIP REGISTER benchmark ({engine}, Kamailio 2 children, sipp {CONCURRENCY} in flight)\n"
    )
    print("| setup | REGISTER/s | p50 ms | p99 ms | all answered 200 |")
    print("| --- | ---: | ---: | ---: | --- |")
    labels = {
        "stock": "Kamailio auth_db, subscriber table (stock)",
        "view": "this app's view, per domain and purpose",
    }
    for setup, result in results.items():
        answered = "yes" if not result["failed"] else f"no ({result['failed']} phones failed)"
        print(
            f"| {labels[setup]} | {result['rate']:.0f} | {result['p50']:.2f} | "
            f"{result['p99']:.2f} | {answered} |"
        )
    ratio = results["view"]["rate"] / results["stock"]["rate"]
    ok = ratio >= TARGET and not any(r["failed"] for r in results.values())
    print(
        f"\n- {'PASS' if ok else 'MISS'}: the view's rate is {ratio:.2f} × the stock setup's "
        f"(target ≥ {TARGET})"
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
