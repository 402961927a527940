from __future__ import annotations

import re

import pytest

from accounts.models import ProviderAccount
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from sip.models import SipDomain
from sip.review import review_account
from sip.review import review_accounts
from tests.sip.test_fragment_cache import change_with_sql


def texts(account) -> list[str]:
    return [finding.text for finding in review_account(account).findings]


def test_warnings_appear_and_disappear_as_the_setup_is_fixed(account):
    assert texts(account) == []
    hq = SipDomain.objects.create(account=account, name="HQ", prefix="hq")
    assert texts(account) == [
        "hq.sip.twilio.com has no credential list for calls or registrations: "
        "it refuses all calls and registrations."
    ]
    phones = CredentialList.objects.create(account=account, name="Phones")
    assert "“Phones” is attached to no SIP domain: its SIP users cannot connect." in texts(account)
    assert "“Phones” has no credentials." in texts(account)
    Credential.objects.create(credential_list=phones, username="desk", ha1_md5="x", ha1_sha256="y")
    CredentialAttachment.objects.create(domain=hq, credential_list=phones, purpose=Purpose.CALLS)
    assert texts(account) == [
        "hq.sip.twilio.com has no credential list for registrations: phones cannot register on it."
    ]
    CredentialAttachment.objects.create(
        domain=hq, credential_list=phones, purpose=Purpose.REGISTRATIONS
    )
    assert texts(account) == []

    backup = CredentialList.objects.create(account=account, name="Backup")
    Credential.objects.create(credential_list=backup, username="desk", ha1_md5="x", ha1_sha256="y")
    CredentialAttachment.objects.create(domain=hq, credential_list=backup, purpose=Purpose.CALLS)
    assert texts(account) == [
        "“desk” is in 2 lists attached to hq.sip.twilio.com for calls: "
        "the password of each of them works for it there, which is rarely intended."
    ]
    review = review_account(account)
    assert review.by_tab == {"domains": 0, "credential-lists": 0, "attachments": 1}
    assert review.findings[0].fix_url == f"/o/acme/accounts/{account.pk}/sip-users/?q=desk"
    Credential.objects.filter(credential_list=backup).delete()
    assert texts(account) == ["“Backup” has no credentials."]


def test_review_of_many_accounts_is_separate(account, org):
    other = ProviderAccount.objects.create(organization=org, name="Other", provider="telnyx")
    other.organization = org
    account.organization = org
    SipDomain.objects.create(account=other, name="X", prefix="x")
    reviews = review_accounts([account, other])
    assert reviews[account.pk].findings == []
    assert len(reviews[other.pk].findings) == 1


def test_tabs_and_accounts_page_show_warning_counts(admin_client, account):
    SipDomain.objects.create(account=account, name="HQ", prefix="hq")
    CredentialList.objects.create(account=account, name="Phones")
    page = admin_client.get(f"/o/acme/accounts/{account.pk}/domains/").content.decode()
    assert "Setup review: 3 warnings" in page
    assert (
        'Domains <span class="badge badge-warning" title="Setup review warnings">1</span>' in page
    )
    assert (
        'Credential Lists <span class="badge badge-warning" title="Setup review warnings">2</span>'
        in page
    )
    accounts_page = admin_client.get("/o/acme/accounts/").content.decode()
    assert "3 warnings</a>" in accounts_page


def test_a_write_tells_the_page_to_refresh_the_review(admin_client, account):
    response = admin_client.post(
        f"/o/acme/accounts/{account.pk}/domains/new/",
        {"name": "HQ", "prefix": "hq"},
        headers={"HX-Request": "true"},
    )
    assert response["HX-Trigger"] == '{"setup-changed": {}}'
    html = admin_client.get(f"/o/acme/accounts/{account.pk}/domains/").content.decode()
    assert f'hx-get="/o/acme/accounts/{account.pk}/nav/?tab=domains"' in html
    assert 'hx-trigger="setup-changed from:body"' in html
    nav = admin_client.get(f"/o/acme/accounts/{account.pk}/nav/?tab=attachments").content.decode()
    assert "Setup review: 1 warning" in nav
    assert re.search(r'id="tab-attachments"[^>]*aria-selected="true"', nav)
    assert "<html" not in nav
    # A refused write triggers nothing.
    refused = admin_client.post(
        f"/o/acme/accounts/{account.pk}/domains/new/",
        {"name": "HQ", "prefix": "-bad"},
        headers={"HX-Request": "true"},
    )
    assert "HX-Trigger" not in refused


@pytest.mark.parametrize("purpose", [Purpose.CALLS, Purpose.REGISTRATIONS])
@pytest.mark.parametrize("count", [1, 2, 3])
def test_review_warns_when_several_passwords_work_for_one_user(account, purpose, count):
    hq = SipDomain.objects.create(account=account, name="HQ", prefix="hq")
    for n in range(3):
        cl = CredentialList.objects.create(account=account, name=f"List {n}")
        Credential.objects.create(credential_list=cl, username="desk", ha1_md5="x", ha1_sha256="y")
        for p in (Purpose.CALLS, Purpose.REGISTRATIONS):
            # Every list is attached for the other purpose; `count` of them for this one.
            if p != purpose or n < count:
                CredentialAttachment.objects.create(domain=hq, credential_list=cl, purpose=p)
    warnings = [t for t in texts(account) if "“desk”" in t]
    what = purpose.label.lower()
    other = "registrations" if what == "calls" else "calls"
    expected = [f"“desk” is in 3 lists attached to hq.sip.twilio.com for {other}"]
    if count > 1:
        expected.append(f"“desk” is in {count} lists attached to hq.sip.twilio.com for {what}")
    assert sorted(w.split(":")[0] for w in warnings) == sorted(expected)


def test_review_wording_for_a_domain_missing_only_calls(account):
    hq = SipDomain.objects.create(account=account, name="HQ", prefix="hq")
    phones = CredentialList.objects.create(account=account, name="Phones")
    Credential.objects.create(credential_list=phones, username="desk", ha1_md5="x", ha1_sha256="y")
    CredentialAttachment.objects.create(
        domain=hq, credential_list=phones, purpose=Purpose.REGISTRATIONS
    )
    assert texts(account) == [
        "hq.sip.twilio.com has no credential list for calls: it refuses all calls."
    ]


def test_a_list_with_exactly_one_credential_is_not_empty(account):
    hq = SipDomain.objects.create(account=account, name="HQ", prefix="hq")
    phones = CredentialList.objects.create(account=account, name="Phones")
    for purpose in (Purpose.CALLS, Purpose.REGISTRATIONS):
        CredentialAttachment.objects.create(domain=hq, credential_list=phones, purpose=purpose)
    assert texts(account) == ["“Phones” has no credentials."]
    Credential.objects.create(credential_list=phones, username="desk", ha1_md5="x", ha1_sha256="y")
    assert texts(account) == []


def test_the_cached_review_follows_changes_made_through_the_app(admin_client, account):
    """View, change through the app, view again: the review is the new one (its cache key
    holds the setup version every change bumps)."""
    tab = f"/o/acme/accounts/{account.pk}/domains/"
    assert "Setup review: no warnings." in admin_client.get(tab).content.decode()
    admin_client.post(f"{tab}new/", {"name": "HQ", "prefix": "hq"})
    page = admin_client.get(tab).content.decode()
    assert "Setup review: 1 warning" in page
    assert "hq.sip.twilio.com has no credential list for calls or registrations" in page
    admin_client.post(f"/o/acme/accounts/{account.pk}/credential-lists/new/", {"name": "Phones"})
    assert "Setup review: 3 warnings" in admin_client.get(tab).content.decode()


def test_each_domain_is_judged_by_its_own_attachments(account):
    hq = SipDomain.objects.create(account=account, name="HQ", prefix="hq")
    SipDomain.objects.create(account=account, name="Branch", prefix="branch")
    phones = CredentialList.objects.create(account=account, name="Phones")
    Credential.objects.create(credential_list=phones, username="desk", ha1_md5="x", ha1_sha256="y")
    for purpose in (Purpose.CALLS, Purpose.REGISTRATIONS):
        CredentialAttachment.objects.create(domain=hq, credential_list=phones, purpose=purpose)
    assert texts(account) == [
        "branch.sip.twilio.com has no credential list for calls or registrations: "
        "it refuses all calls and registrations."
    ]


def test_every_finding_whole_with_its_tab_fix_link_and_label(account):
    hq = SipDomain.objects.create(account=account, name="HQ", prefix="hq")
    empty = CredentialList.objects.create(account=account, name="Empty")
    loose = CredentialList.objects.create(account=account, name="Loose")  # has a user
    Credential.objects.create(credential_list=loose, username="desk", ha1_md5="x", ha1_sha256="y")
    CredentialAttachment.objects.create(domain=hq, credential_list=empty, purpose=Purpose.CALLS)
    a = f"/o/acme/accounts/{account.pk}/"
    findings = [(f.tab, f.text, f.fix_url, f.fix_label) for f in review_account(account).findings]
    assert findings == [
        (
            "domains",
            "hq.sip.twilio.com has no credential list for registrations: "
            "phones cannot register on it.",
            f"{a}attachments/new/?domain={hq.pk}",
            "Attach a credential list",
        ),
        (
            "credential-lists",
            "“Empty” has no credentials.",
            f"{a}credential-lists/{empty.pk}/credentials/new/",
            "Add a credential",
        ),
        (
            "credential-lists",
            "“Loose” is attached to no SIP domain: its SIP users cannot connect.",
            f"{a}attachments/new/?credential_list={loose.pk}",
            "Attach it to a domain",
        ),
    ]


def test_several_password_findings_in_order_of_domain_user_and_purpose(account):
    domains = [
        SipDomain.objects.create(account=account, name=p, prefix=p) for p in ("zeta", "alpha")
    ]
    for n in range(2):
        cl = CredentialList.objects.create(account=account, name=f"L{n}")
        for username in ("zed", "amy"):
            Credential.objects.create(
                credential_list=cl, username=username, ha1_md5="x", ha1_sha256="y"
            )
        for domain in domains:
            for purpose in (Purpose.REGISTRATIONS, Purpose.CALLS):
                CredentialAttachment.objects.create(
                    domain=domain, credential_list=cl, purpose=purpose
                )
    findings = [f for f in review_account(account).findings if f.tab == "attachments"]
    assert [f.text.split(": ")[0] for f in findings] == [
        f"“{user}” is in 2 lists attached to {domain}.sip.twilio.com for {purpose}"
        for domain in ("alpha", "zeta")
        for user in ("amy", "zed")
        for purpose in ("calls", "registrations")
    ]
    first = findings[0]
    assert (first.fix_url, first.fix_label) == (
        f"/o/acme/accounts/{account.pk}/sip-users/?q=amy",
        "See this SIP user",
    )


ADDED_OUTSIDE_THE_APP = {
    "ORM": lambda account: SipDomain.objects.create(account=account, name="HQ", prefix="hq"),
    "raw SQL": lambda account: change_with_sql(
        "INSERT INTO sip_sipdomain (account_id, name, prefix, domain, created_at, sync_state,"
        " sync_error, remote_sid, voice_url, voice_method, sip_registration, secure)"
        " VALUES (%s, 'HQ', 'hq', 'hq.sip.twilio.com', '2026-01-01', 'local',"
        " '', '', '', 'POST', FALSE, FALSE)",
        account.pk,
    ),
}


@pytest.mark.parametrize("how", sorted(ADDED_OUTSIDE_THE_APP))
def test_a_change_made_outside_the_app_shows_in_the_next_review(admin_client, account, how):
    """The Django admin, a shell or raw SQL: the database moves the setup version the cached
    review is keyed by, so the next view shows the change, with no time passing."""
    tab = f"/o/acme/accounts/{account.pk}/domains/"
    assert "Setup review: no warnings." in admin_client.get(tab).content.decode()
    assert "Setup review: no warnings." in admin_client.get(tab).content.decode()  # cached
    ADDED_OUTSIDE_THE_APP[how](account)
    page = admin_client.get(tab).content.decode()
    assert "Setup review: 1 warning" in page
    assert "hq.sip.twilio.com has no credential list for calls or registrations" in page


def test_a_cached_review_is_kept_until_the_setup_changes(
    account, monkeypatch, django_assert_num_queries
):
    """No expiry to wait for a change (the version moves): a review is computed once for a
    version, however long ago, and again only when the cache lets it go (after a day)."""
    import time

    from sip.review import REVIEW_TTL
    from sip.review import cached_review

    SipDomain.objects.create(account=account, name="HQ", prefix="hq")
    account.refresh_from_db()
    first = cached_review(account)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 6 * 60 * 60)
    with django_assert_num_queries(0):
        assert cached_review(account).findings == first.findings
    monkeypatch.setattr(time, "time", lambda: now + REVIEW_TTL + 1)
    with django_assert_num_queries(3):  # the review's own
        assert cached_review(account).findings == first.findings


def test_a_cached_review_links_to_its_organization_as_it_is_now(account, org):
    """Its fix links hold the organization's slug: a new slug is a new review."""
    from sip.review import cached_review

    SipDomain.objects.create(account=account, name="HQ", prefix="hq")
    account.refresh_from_db()
    account.organization = org
    assert cached_review(account).findings[0].fix_url.startswith("/o/acme/")
    org.slug = "acme-renamed"
    org.save()
    assert cached_review(account).findings[0].fix_url.startswith("/o/acme-renamed/")
