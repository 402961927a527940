"""The benchmark: this app's pages against the framework's floor and Django's admin.

Seeds the dataset (bench/seed.py), starts the app under gunicorn with production settings
(2 workers), drives each page with wrk (concurrency 8) as a second process, and prints one
markdown table: requests per second, p50/p99 latency, the ratios to the floor and to the Django
admin's changelist of the same rows (the whole, the same deep page, the same search), bytes and
SQL queries per page, then the targets.

Every tab page is measured three times in the same run: warm (its fragments cached for the
setup version, as when nothing changed since the last view); cold (a second server with the
fragments kept per setup version off, SETUP_FRAGMENT_CACHE=false: every request reads and
renders its header, tabs, search and rows, as the first view after a change does, while the
frame and the blank check form, which no change of the setup touches, stay cached); and with
no cache at all (a third server, FRAGMENT_CACHE=false), reported beside them.

    apt-get install -y wrk
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/whippy_bench .venv/bin/python bench/run.py
    .venv/bin/python bench/run.py            # SQLite, in bench/bench.sqlite3

The three servers run side by side, and every page is driven in BENCH_ROUNDS rounds (3) of
BENCH_SECONDS each (2): a page's figures are the medians of its rounds. A round drives the
floor, then an admin changelist, then the tab pages compared with it in their three modes,
then the floor again and the next changelist's group, and so on: a page's ratios are the
medians of its rounds' ratios to the floor and the changelist driven within the same half
minute, on a shared machine whose speed drifts by a third within minutes. BENCH_ONLY (a
regular expression) drives only the pages whose label it matches, besides the floor and the
admin changelists they are compared with.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.standalone import environment  # noqa: E402

environment()
# The in-process query counting runs on plain HTTP too.
os.environ.setdefault("HTTPS", "false")

SECONDS = int(os.environ.get("BENCH_SECONDS", "2"))  # a round
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = 8
SETTLE = 0.5  # seconds between two drives, beyond the time the server needs (drive())
WORKERS = 2  # gunicorn's
PRODUCTION = {
    "DEBUG": "false",
    "HTTPS": "false",  # plain HTTP on loopback; everything else as in production
    "STATIC_MANIFEST": "true",
    "ALLOWED_HOSTS": "127.0.0.1",
    "CONN_MAX_AGE": "600",
    "LOG_LEVEL": "WARNING",
    "AXES_FAILURE_LIMIT": "1000",
    # The write scenario creates lists as fast as it can: the fair-use limit would refuse it.
    "WRITES_PER_MINUTE": "1000000",
}


@dataclass
class Scenario:
    label: str
    path: str
    # What it is compared with: "floor", "admin LABEL: full|deep|search" (the admin changelist of
    # a tab's rows; an admin page is its own), "review", "check" or "write".
    group: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None  # a POST body; "{n}" becomes a number unique per request
    result: dict = field(default_factory=dict)
    cache: str = ""  # a tab page's "warm", "cold" or "off" (no cache) measurement; "" if none

    @property
    def name(self) -> str:
        return f"{self.label} ({self.cache})" if self.cache else self.label


# Each measurement of a tab page, and the settings of its server.
MODES = {
    "warm": {"FRAGMENT_CACHE": "true", "SETUP_FRAGMENT_CACHE": "true"},
    "cold": {"FRAGMENT_CACHE": "true", "SETUP_FRAGMENT_CACHE": "false"},
    "off": {"FRAGMENT_CACHE": "false", "SETUP_FRAGMENT_CACHE": "true"},
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, **settings: str) -> subprocess.Popen:
    env = {**os.environ, **PRODUCTION, **settings}
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    gunicorn = str(Path(python).with_name("gunicorn"))
    log = (ROOT / "bench" / f"server-{port}.log").open("w")  # errors, if any, land here
    server = subprocess.Popen(
        [gunicorn, "whippy.wsgi", "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def log_in(base: str, username: str, password: str) -> tuple[str, str]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    answer = opener.open(f"{base}/login/", data)
    if answer.geturl().split("?")[0].endswith("/login/code/"):
        # The second factor (the Django admin asks it of a superuser): a code of the app seeded
        # for the benchmark user.
        from binascii import unhexlify

        from django_otp.oath import TOTP

        from bench.seed import TOTP_KEY

        page = answer.read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        code = f"{TOTP(unhexlify(TOTP_KEY)).token():06d}"
        data = urllib.parse.urlencode({"code": code, "csrfmiddlewaretoken": token}).encode()
        if opener.open(answer.geturl(), data).geturl().split("?")[0].endswith("/login/code/"):
            raise SystemExit("the benchmark user's code was refused")
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        raise SystemExit("could not log in as the benchmark user")
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    return cookie, cookies["csrftoken"]


def fetch_bytes(base: str, scenario: Scenario, cookie: str, csrf: str) -> int:
    headers = {"Cookie": cookie, **scenario.headers}
    data = None
    if scenario.body is not None:
        headers |= {"X-CSRFToken": csrf, "Content-Type": "application/x-www-form-urlencoded"}
        data = scenario.body.replace("{n}", f"size-{time.time_ns()}").encode()
    request = urllib.request.Request(base + scenario.path, data=data, headers=headers)
    with urllib.request.urlopen(request) as response:
        if urllib.parse.urlsplit(response.geturl()).path != scenario.path.split("?")[0]:
            # A page that sends the benchmark elsewhere (a sign-in step, say) is not measured.
            raise SystemExit(f"{scenario.name} answered with a redirect to {response.geturl()}")
        return len(response.read())


LUA_POST = """
counter = 0
request = function()
  counter = counter + 1
  local body = string.gsub(BODY, "{n}", tostring(math.random(1, 2147483647)) .. "-" .. counter)
  return wrk.format("POST", nil, nil, body)
end
"""

LATENCY = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)


def to_ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def drive(base: str, scenario: Scenario, cookie: str, csrf: str, seconds: int) -> dict:
    """wrk's figures for the page. Then a pause: wrk stops at its deadline, but the requests
    it had sent still run on the server, and the next page's first requests queued behind
    them (after the admin changelists, 8 of 110 ms: the p99 of the page driven next was 90
    ms, its median 14). So the pause is SETTLE and the time the server needs for what may
    still be in it: up to CONNECTIONS requests of this page, WORKERS at a time (drained()).
    With SETTLE alone, the 8 requests of a second each of the admin's SIP Users page 2,000
    held the page driven after it for four seconds (its p99: 289 and 485 ms in two runs)."""
    result = None
    try:
        result = _drive(base, scenario, cookie, csrf, seconds)
        return result
    finally:
        time.sleep(SETTLE + drained(result))


def drained(result: dict | None) -> float:
    """Seconds for the server to finish the requests a drive may have left in it: CONNECTIONS
    of them at the drive's median latency, WORKERS at a time."""
    if result is None:
        return 0.0
    return CONNECTIONS / WORKERS * result["p50"] / 1000


def _drive(base: str, scenario: Scenario, cookie: str, csrf: str, seconds: int) -> dict:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    command += ["-H", f"Cookie: {cookie}"]
    for name, value in scenario.headers.items():
        command += ["-H", f"{name}: {value}"]
    script = None
    if scenario.body is not None:
        command += ["-H", f"X-CSRFToken: {csrf}"]
        command += ["-H", "Content-Type: application/x-www-form-urlencoded"]
        body = scenario.body.replace("\\", "\\\\").replace('"', '\\"')
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(f'BODY = "{body}"\n{LUA_POST}')
        command += ["-s", script.name]
    output = subprocess.run(
        [*command, base + scenario.path], capture_output=True, text=True, check=True
    ).stdout
    if script:
        os.unlink(script.name)
    latencies = {p: to_ms(v, u) for p, v, u in LATENCY.findall(output)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": latencies["50"],
        "p99": latencies["99"],
        "errors": int(errors.group(1)) if errors else 0,
    }


# Every registered table's page (whippy.tables): its label, the Django admin changelist of the
# same rows (the model's admin and the filter naming the page's parent: "account" or "list"), a
# search term and a deep page number. A table added to the app with neither an entry here nor a
# reason in NOT_MEASURED stops the benchmark.
TABLE_PAGES = {
    "sip:domain-list": ("Domains", ("sipdomain", "account"), "dom-42", 20),
    "sip:credentiallist-list": ("Credential Lists", ("credentiallist", "account"), "List 42", 20),
    "sip:credentiallist-detail": ("List page (credentials)", ("credential", "list"), "user-", 2),
    "sip:attachment-list": (
        "Credential Attachments",
        ("credentialattachment", "account"),
        "dom-42",
        100,
    ),
    "sip:sip-user-list": ("SIP Users", ("credential", "account"), "user-42-", 2000),
}
# The admin's filter for each parent.
PARENTS = {"account": "account", "list": "credential_list"}
DOMAINS_ADMIN = "admin Domains: full"
NOT_MEASURED = {
    "accounts:account-list": "not a tab of the account page, which the targets are about",
    "org-activity": "the seed records no changes: the page would be empty",
    "sip:activity-list": "the seed records no changes: the tab would be empty",
}


def page_path(url_name: str, ids: dict) -> str:
    """The page's path for the benchmark's organization, account and list."""
    from django.urls import NoReverseMatch
    from django.urls import reverse

    values = {"org_slug": "bench", "account_id": ids["account"], "list_id": ids["list"]}
    for keys in (("org_slug", "account_id", "list_id"), ("org_slug", "account_id"), ("org_slug",)):
        try:
            return reverse(url_name, kwargs={key: values[key] for key in keys})
        except NoReverseMatch:
            continue
    raise SystemExit(f"No path for {url_name}")


def scenarios(ids: dict) -> list[Scenario]:
    from whippy.registry import TABLES

    account = f"/o/bench/accounts/{ids['account']}"
    htmx = {"HX-Request": "true"}
    out = [Scenario("Floor: authenticated trivial page", "/session/", "floor")]
    tables = TABLES
    missing = set(tables) - set(TABLE_PAGES) - set(NOT_MEASURED)
    if missing:
        raise SystemExit(f"Tables without a benchmark entry (TABLE_PAGES): {sorted(missing)}")
    pages: list[Scenario] = []
    for name, (label, (model, parent), term, deep) in TABLE_PAGES.items():
        path, target = page_path(name, ids), tables[name].target
        # The admin's changelist of the same rows: the whole, the same deep page (its pages hold
        # 50 rows too, numbered from 1) and the same search. A tab switch and a table swap are
        # compared with the whole page.
        admin = f"/django-admin/sip/{model}/?{PARENTS[parent]}={ids[parent]}"
        same = {
            "full": ("", admin),
            "deep": (f", page {deep}", f"{admin}&p={deep}"),
            "search": (", search", f"{admin}&{urllib.parse.urlencode({'q': term})}"),
        }
        out += [
            Scenario(f"Django admin: {label} changelist{suffix}", url, f"admin {label}: {kind}")
            for kind, (suffix, url) in same.items()
        ]
        versus = f"admin {label}: "
        pages += [
            Scenario(f"{label}: full page", path, versus + "full"),
            Scenario(f"{label}: HTMX tab switch", path, versus + "full", htmx),
            Scenario(
                f"{label}: HTMX table swap", path, versus + "full", {**htmx, "HX-Target": target}
            ),
            Scenario(
                f"{label}: full page, deep page {deep}", f"{path}?page={deep}", versus + "deep"
            ),
            Scenario(
                f"{label}: full page, search",
                f"{path}?{urllib.parse.urlencode({'q': term})}",
                versus + "search",
            ),
        ]
    # What the setup review costs a tab: an account with 600 warnings (its Domains tab is
    # empty, so the bytes beyond the page's frame are the review's).
    warnings = f"/o/bench/accounts/{ids['warnings']}/domains/"
    label = "Account with 600 review warnings, Domains"
    pages += [
        Scenario(f"{label}: full page", warnings, "review"),
        Scenario(f"{label}: HTMX tab switch", warnings, "review", htmx),
    ]
    out += [replace(page, cache=cache) for cache in MODES for page in pages]
    out += [
        Scenario(
            "Connection check (HTMX POST)",
            f"{account}/sip-users/check/",
            "check",
            htmx,
            body=urllib.parse.urlencode(
                {"username": "user-42-7", "domain": "dom-42", "password": "Bench-Pass-42-7"}
            ),
        ),
        Scenario(
            "Inline create: credential list (HTMX POST)",
            f"{account}/credential-lists/new/",
            "write",
            htmx,
            body="name=Bench+{n}",
        ),
    ]
    return out


def undo_writes(account_id: int) -> None:
    """Removes what the write scenario makes (its lists, and the records of their changes: the
    seed records none), so that every run measures the same data."""
    from accounts.models import Activity
    from sip.models import CredentialList

    CredentialList.objects.filter(account_id=account_id, name__startswith="Bench ").delete()
    Activity.objects.filter(organization__slug="bench").delete()


def check_dataset(when: str) -> None:
    """Refuses to go on with data other than the seed's: its numbers would not compare."""
    from bench.seed import SEEDED
    from bench.seed import dataset

    found = dataset()
    if found != SEEDED:
        differences = ", ".join(
            f"{kind} {found[kind]:,} (seeded {SEEDED[kind]:,})"
            for kind in SEEDED
            if found[kind] != SEEDED[kind]
        )
        raise SystemExit(
            f"The benchmark's data differs from its seed {when}: {differences}. "
            "Seed it again: bench/seed.py --reset."
        )


def count_queries(all_scenarios: list[Scenario], username: str) -> None:
    """SQL queries per page, measured in-process on the same database with Django's client:
    warm, the page seen a second time; cold, with the fragment cache off."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import caches
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.test.utils import setup_test_environment

    setup_test_environment()
    from accounts import two_factor

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    session = client.session
    session[two_factor.STATE] = two_factor.VERIFIED  # as its code made it (log_in)
    session.save()
    for scenario in all_scenarios:
        headers = {**scenario.headers}
        for name, value in MODES.get(scenario.cache, {}).items():
            setattr(settings, name, value != "false")
        for cache in caches.all():
            cache.clear()
        # A tab page's second view: warm, cached; cold or off, rendered again. A POST once: a
        # second inline create would be refused (the name is taken) and count the refusal.
        for _ in range(2 if scenario.cache else 1):
            with CaptureQueriesContext(connection) as captured:
                if scenario.body is None:
                    client.get(scenario.path, headers=headers)
                else:
                    data = dict(urllib.parse.parse_qsl(scenario.body.replace("{n}", "count")))
                    client.post(scenario.path, data, headers=headers)
        # Savepoints and the request's transaction are bookkeeping, not queries.
        scenario.result["queries"] = sum(
            1
            for query in captured.captured_queries
            if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO"))
        )


def report(all_scenarios: list[Scenario], seed_line: str) -> bool:
    """The table and the targets. A ratio is the median of the rounds' ratios of the page's
    rate to the floor's and the admin changelist's driven in the same seconds (measure())."""
    engine = os.environ["DATABASE_URL"].split(":", 1)[0]
    print(
        f"\n## Benchmark ({engine}, gunicorn {WORKERS} workers, wrk concurrency {CONNECTIONS}, "
        f"{ROUNDS} rounds of {SECONDS} s a page, medians; ratios to the floor and the admin "
        "changelist driven beside each page in each round)\n"
    )
    print(seed_line + "\n")
    print("| page | req/s | p50 ms | p99 ms | × floor | × admin | bytes | SQL queries |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for s in all_scenarios:
        r = s.result
        versus = f"{r['x_admin']:.2f}" if r["x_admin"] is not None else "–"
        errors = f" ({r['errors']} errors)" if r["errors"] else ""
        print(
            f"| {s.name}{errors} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | "
            f"{r['x_floor']:.2f} | {versus} | {r['bytes']:,} | {r['queries']} |"
        )

    print("\n### Targets\n")
    ok = True

    def target(passed: bool, text: str) -> None:
        nonlocal ok
        ok = ok and passed
        print(f"- {'PASS' if passed else 'MISS'}: {text}")

    for s in all_scenarios:
        r = s.result
        if s.cache == "warm":
            target(r["x_floor"] >= 0.4, f"{s.name}: {r['x_floor']:.2f} × the floor ≥ 0.40")
            target(r["p99"] < 50, f"{s.name}: p99 {r['p99']:.1f} ms < 50 ms")
        elif s.cache == "cold":
            if s.group.startswith("admin"):
                target(r["x_admin"] >= 3, f"{s.name}: {r['x_admin']:.2f} × its admin page ≥ 3")
            target(r["x_floor"] >= 0.15, f"{s.name}: {r['x_floor']:.2f} × the floor ≥ 0.15")
            target(r["p99"] < 100, f"{s.name}: p99 {r['p99']:.1f} ms < 100 ms")
    for s in all_scenarios:
        if s.group == "check":  # left out by a BENCH_ONLY that does not match it
            x_floor = s.result["x_floor"]
            target(x_floor >= 0.5, f"Connection check: {x_floor:.2f} × the floor ≥ 0.50")
    return ok


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def measure(scenarios: list[Scenario]) -> None:
    """Drives every scenario against its server (one per mode, side by side), signed in
    once (a code of the authenticator app is accepted once), in ROUNDS rounds; then the write
    scenario, once (its lists would show on the pages). A round drives the pages in groups:
    each admin changelist with the tab pages compared with it, in their three modes, right
    after it, and the floor before each group (and before the connection check, driven as a
    page: its refused tests write nothing). A page's ratios are the medians, over the rounds,
    of its rate against the floor and the admin changelist driven in the same seconds (the
    same round's drives of its group); its figures the medians of its rounds. Until the ninth
    run a round drove each page once in the table's order, so a page was compared with a floor
    driven up to four minutes before, on a machine whose speed drifts by a third within
    minutes."""
    from bench.seed import PASSWORD
    from bench.seed import USERNAME

    servers = {}
    try:
        for mode in ("warm", "cold", "off"):
            port = free_port()
            servers[mode] = (f"http://127.0.0.1:{port}", start_server(port, **MODES[mode]))
        cookie, csrf = log_in(servers["warm"][0], USERNAME, PASSWORD)
        pages = [s for s in scenarios if s.group != "write"]
        for scenario in pages:
            base = servers[scenario.cache or "warm"][0]
            # A dict of its own: the modes' scenarios are copies (dataclasses.replace) of one.
            scenario.result = {"bytes": fetch_bytes(base, scenario, cookie, csrf)}
            drive(base, scenario, cookie, csrf, 1)  # warm up: caches, connections
        floor, groups = in_groups(pages)
        # Per round: every scenario's drive, and the floor's before each group.
        rounds: list[dict[int, dict]] = []
        floors: list[dict[str, dict]] = []
        for number in range(ROUNDS):
            driven, floor_of = {}, {}
            for group, members in groups:
                for scenario in [floor, *members]:
                    base = servers[scenario.cache or "warm"][0]
                    result = drive(base, scenario, cookie, csrf, SECONDS)
                    if scenario is floor:
                        floor_of[group] = result
                    else:
                        driven[id(scenario)] = result
            rounds.append(driven)
            floors.append(floor_of)
            print(f"  round {number + 1} of {ROUNDS} done", file=sys.stderr)
        every_floor = [r for floor_of in floors for r in floor_of.values()]
        summarize(floor, every_floor)
        floor.result.update(x_floor=1.0, x_admin=None)
        admins = {s.group: s for s in pages if s.label.startswith("Django admin")}
        for group, members in groups:
            for scenario in members:
                done = [driven[id(scenario)] for driven in rounds]
                summarize(scenario, done)
                admin = admins.get(scenario.group) or admins.get(DOMAINS_ADMIN)
                scenario.result["x_floor"] = median(
                    [r["rps"] / f[group]["rps"] for r, f in zip(done, floors, strict=True)]
                )
                scenario.result["x_admin"] = (
                    median(
                        [r["rps"] / d[id(admin)]["rps"] for r, d in zip(done, rounds, strict=True)]
                    )
                    if admin is not None
                    else None
                )
        base = servers["warm"][0]
        for scenario in [s for s in scenarios if s.group == "write"]:
            # Bytes first: the write scenario's answer shows the lists table, which its own
            # run then fills with lists of random names.
            size = fetch_bytes(base, scenario, cookie, csrf)
            drive(base, scenario, cookie, csrf, 1)
            floor_before = drive(servers["warm"][0], floor, cookie, csrf, SECONDS)
            scenario.result = drive(base, scenario, cookie, csrf, SECONDS * ROUNDS)
            scenario.result["bytes"] = size
            scenario.result["x_floor"] = scenario.result["rps"] / floor_before["rps"]
            admin = admins.get(DOMAINS_ADMIN)
            scenario.result["x_admin"] = admin and scenario.result["rps"] / admin.result["rps"]
            print(f"  {scenario.name}: {scenario.result['rps']:.0f} req/s", file=sys.stderr)
    finally:
        for _, server in servers.values():
            server.terminate()
            server.wait(timeout=30)


def in_groups(pages: list[Scenario]) -> tuple[Scenario, list[tuple[str, list[Scenario]]]]:
    """The floor, and the drives of a round in groups, driven one after the other, each after
    the floor: an admin changelist and the tab pages compared with it (their three modes);
    the pages of the account with 600 warnings; the connection check."""
    floor = next(s for s in pages if s.group == "floor")
    groups: dict[str, list[Scenario]] = {}
    for scenario in pages:
        if scenario is not floor:
            groups.setdefault(scenario.group, []).append(scenario)
    return floor, list(groups.items())


def summarize(scenario: Scenario, done: list[dict]) -> None:
    scenario.result.update(
        {key: median([r[key] for r in done]) for key in ("rps", "p50", "p99")},
        errors=sum(r["errors"] for r in done),
    )


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    seeded = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "seed.py")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    import django

    django.setup()
    from accounts.models import ProviderAccount

    big = ProviderAccount.objects.get(organization__slug="bench", name="Big")
    undo_writes(big.pk)  # a run stopped halfway leaves its lists behind
    check_dataset("before the run")
    ids = {
        "warnings": ProviderAccount.objects.get(organization__slug="bench", name="Warnings").pk,
        "account": big.pk,
        "list": big.credential_lists.order_by("pk").values_list("pk", flat=True)[42],
        "domain": big.sip_domains.get(prefix="dom-42").pk,
    }
    from django.db import connections

    connections.close_all()
    all_scenarios = scenarios(ids)
    if os.environ.get("BENCH_ONLY"):
        only = re.compile(os.environ["BENCH_ONLY"])
        pages = [s for s in all_scenarios if only.search(s.name)]
        # What they are compared with: the floor and their admin pages.
        versus = {"floor", DOMAINS_ADMIN} | {s.group for s in pages}
        all_scenarios = [
            s
            for s in all_scenarios
            if s in pages or (s.label.startswith(("Floor", "Django admin")) and s.group in versus)
        ]
    measure(all_scenarios)
    undo_writes(big.pk)
    from bench.seed import USERNAME

    count_queries(all_scenarios, USERNAME)
    undo_writes(big.pk)
    check_dataset("after the run")
    ok = report(all_scenarios, seeded)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
