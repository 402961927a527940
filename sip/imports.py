"""Importing a Twilio account's existing SIP setup, in the background worker.

`manage.py db_worker` runs import_account (Django's tasks framework, the django-tasks backport,
with its database backend: the queue is a table of the app's own database, so it needs no
other server, and a task enqueued in a request's transaction exists only if the request
commits). The import reads Twilio page by page, phase by phase: domains, credential lists,
credentials (usernames only: Twilio never returns passwords), then the three kinds of
mappings. After every page it saves how far it got (ImportRun.cursor and position) and its
counts, in the same transaction as the page's rows: a run that fails (Twilio unreachable, rate
limits beyond the client's patience) stops with its reason and resumes where it stopped, and a
page reloaded meanwhile shows the progress. Rate limits are waited out as Retry-After says.

What is here already is matched, not duplicated: by Twilio sid, else by domain name, list name
or username. Imported SIP users are marked "password set outside this app"; legacy mappings
count as calls and are flagged. Limits are not applied: what exists in Twilio is the truth.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from accounts.activity import Action
from accounts.activity import record
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import ImportRun
from sip.models import Purpose
from sip.models import SipDomain
from sip.models import SyncState
from sip.models import name_key
from sip.sync import api_for
from sip.twilio_api import MappingKind
from sip.twilio_api import Twilio
from sip.twilio_api import TwilioError
from sip.twilio_api import TwilioUnreachable

Phase = ImportRun.Phase
Status = ImportRun.Status
PHASES = [Phase.DOMAINS, Phase.LISTS, Phase.CREDENTIALS, Phase.MAPPINGS]
KINDS = [
    (MappingKind.CALLS, Purpose.CALLS, False),
    (MappingKind.REGISTRATIONS, Purpose.REGISTRATIONS, False),
    (MappingKind.LEGACY, Purpose.CALLS, True),
]


@task()
def import_account(run_id: int) -> None:
    run = ImportRun.objects.select_related("account__organization", "started_by").get(pk=run_id)
    run.status, run.error = Status.RUNNING, ""
    run.save(update_fields=["status", "error"])
    try:
        api = api_for(run.account)
        for phase in PHASES[PHASES.index(run.phase) :] if run.phase in PHASES else []:
            if run.phase != phase:
                run.phase, run.cursor, run.position = phase, "", 0
                run.save(update_fields=["phase", "cursor", "position"])
            STEPS[phase](run, api)
    except (TwilioError, TwilioUnreachable, ValidationError) as error:
        stop(run, error)
        return
    finish(run)


def stop(run: ImportRun, error: Exception) -> None:
    if isinstance(error, TwilioError):
        reason = f"Twilio refused (error {error.code or error.status}): {error.message}"
    elif isinstance(error, TwilioUnreachable):
        reason = "Twilio did not answer in time."
    else:
        reason = " ".join(error.messages)
    run.status, run.error = Status.FAILED, reason[:300]
    run.updated_at = timezone.now()
    run.save(update_fields=["status", "error", "updated_at"])


@transaction.atomic
def finish(run: ImportRun) -> None:
    run.status, run.phase, run.cursor = Status.DONE, Phase.DONE, ""
    run.finished_at = run.updated_at = timezone.now()
    run.save()
    counts = run.counts
    summary = (
        f"Imported from Twilio: {counts.get('domains', 0)} SIP domains, "
        f"{counts.get('lists', 0)} credential lists, {counts.get('credentials', 0)} credentials "
        f"and {counts.get('mappings', 0)} attachments"
        + (f" ({counts['legacy']} legacy)" if counts.get("legacy") else "")
        + (f"; {counts['skipped']} skipped" if counts.get("skipped") else "")
        + "."
    )
    if run.started_by is None:  # the person who started it is gone: no record (the rows'
        return  # own changes moved the setup version, sip/migrations/0011)
    actor = SimpleNamespace(user=run.started_by, setup_changed=False)
    record(actor, Action.IMPORTED, run.account, summary, {"counts": counts})


def pages_saved(
    run: ImportRun, pages: Iterator[tuple[list[dict], str | None]], save: Callable[[list], None]
) -> None:
    """Saves each page's rows and the run's place together: a resumed run starts after the
    last page saved."""
    for items, following in pages:
        with transaction.atomic():
            save(items)
            run.cursor = following or ""
            run.updated_at = timezone.now()
            run.save(update_fields=["cursor", "position", "phase", "counts", "updated_at"])


def count(run: ImportRun, what: str, n: int = 1) -> None:
    run.counts[what] = run.counts.get(what, 0) + n


# Domains


def import_domains(run: ImportRun, api: Twilio) -> None:
    account = run.account
    suffix = "." + account.provider_info.domain_suffix

    def save(items: list[dict]) -> None:
        by_sid = {d.remote_sid: d for d in SipDomain.objects.filter(account=account)}
        by_name = {d.domain: d for d in by_sid.values()}
        taken = set(
            SipDomain.objects.filter(domain__in=[i["domain_name"] for i in items])
            .exclude(account=account)
            .values_list("domain", flat=True)
        )
        for item in items:
            name = item["domain_name"]
            here = by_sid.get(item["sid"]) or by_name.get(name)
            if here is not None:
                here.remote_sid, here.sync_state = item["sid"], SyncState.SYNCED
                here.save(update_fields=["remote_sid", "sync_state"])
                count(run, "matched")
            elif name in taken or not name.endswith(suffix):
                count(run, "skipped")
            else:
                SipDomain.objects.create(
                    account=account,
                    name=(item["friendly_name"] or name)[:64],
                    prefix=name.removesuffix(suffix),
                    voice_url=(item["voice_url"] or "")[:255],
                    voice_method=item["voice_method"] or "POST",
                    sip_registration=bool(item["sip_registration"]),
                    secure=bool(item["secure"]),
                    remote_sid=item["sid"],
                    sync_state=SyncState.SYNCED,
                )
                count(run, "domains")

    pages_saved(run, api.domains(run.cursor), save)


# Credential lists


def import_lists(run: ImportRun, api: Twilio) -> None:
    account = run.account

    def save(items: list[dict]) -> None:
        lists = list(CredentialList.objects.filter(account=account))
        by_sid = {cl.remote_sid: cl for cl in lists if cl.remote_sid}
        by_key = {cl.name_key: cl for cl in lists}
        for item in items:
            name = (item["friendly_name"] or item["sid"])[:64]
            here = by_sid.get(item["sid"]) or by_key.get(name_key(name))
            if here is not None:
                here.remote_sid, here.sync_state = item["sid"], SyncState.SYNCED
                here.save(update_fields=["remote_sid", "sync_state"])
                count(run, "matched")
            else:
                made = CredentialList.objects.create(
                    account=account, name=name, remote_sid=item["sid"], sync_state=SyncState.SYNCED
                )
                by_key[made.name_key] = made
                count(run, "lists")

    pages_saved(run, api.credential_lists(run.cursor), save)


# Credentials: a list at a time, a page at a time.


def import_credentials(run: ImportRun, api: Twilio) -> None:
    lists = CredentialList.objects.filter(account=run.account, pk__gt=run.position).exclude(
        remote_sid=""
    )
    for credential_list in lists.order_by("pk"):
        credential_list.account = run.account

        def save(items: list[dict], credential_list: CredentialList = credential_list) -> None:
            known = {
                username.lower(): remote
                for username, remote in credential_list.credentials.values_list(
                    "username", "remote_sid"
                )
            }
            new = []
            for item in items:
                username = item["username"] or ""
                key = username.lower()
                if key in known:
                    if not known[key]:  # here already, not yet linked to Twilio: now it is
                        credential_list.credentials.filter(username__iexact=username).update(
                            remote_sid=item["sid"], sync_state=SyncState.SYNCED
                        )
                        known[key] = item["sid"]
                    count(run, "matched")
                elif not 0 < len(username) <= 32:
                    count(run, "skipped")
                else:
                    known[key] = item["sid"]
                    new.append(
                        Credential(
                            credential_list=credential_list,
                            account=run.account,
                            username=username,
                            password_known=False,
                            remote_sid=item["sid"],
                            sync_state=SyncState.SYNCED,
                        )
                    )
            Credential.objects.bulk_create(new)
            count(run, "credentials", len(new))

        pages_saved(run, api.credentials(credential_list.remote_sid, run.cursor), save)
        run.position, run.cursor = credential_list.pk, ""
        run.save(update_fields=["position", "cursor"])


# Mappings: a domain at a time, its three kinds each.


def import_mappings(run: ImportRun, api: Twilio) -> None:
    lists = {
        cl.remote_sid: cl
        for cl in CredentialList.objects.filter(account=run.account).exclude(remote_sid="")
    }
    domains = SipDomain.objects.filter(account=run.account, pk__gt=run.position).exclude(
        remote_sid=""
    )
    for domain in domains.order_by("pk"):
        found: list[tuple[CredentialList, Purpose, bool]] = []
        for kind, purpose, legacy in KINDS:
            for items, _ in api.mappings(domain.remote_sid, kind):
                found += [(lists[i["sid"]], purpose, legacy) for i in items if i["sid"] in lists]
        with transaction.atomic():
            there = set(domain.attachments.values_list("credential_list_id", "purpose"))
            for credential_list, purpose, legacy in found:
                if (credential_list.pk, purpose) in there:
                    continue
                there.add((credential_list.pk, purpose))
                CredentialAttachment.objects.create(
                    domain=domain,
                    credential_list=credential_list,
                    purpose=purpose,
                    legacy=legacy,
                    sync_state=SyncState.SYNCED,
                )
                count(run, "mappings")
                count(run, "legacy", int(legacy))
            run.position, run.updated_at = domain.pk, timezone.now()
            run.save(update_fields=["position", "counts", "updated_at", "phase", "cursor"])


STEPS: dict[str, Callable[[ImportRun, Twilio], None]] = {
    Phase.DOMAINS: import_domains,
    Phase.LISTS: import_lists,
    Phase.CREDENTIALS: import_credentials,
    Phase.MAPPINGS: import_mappings,
}


# A running import that has not saved a page for this long lost its worker: it may resume.
STALLED_AFTER = timezone.timedelta(minutes=10)


def stalled(run: ImportRun) -> bool:
    return run.status == Status.RUNNING and timezone.now() - run.updated_at > STALLED_AFTER
