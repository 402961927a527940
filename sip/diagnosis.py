"""Answers "why can't this SIP user connect?" for a username and a SIP domain, for calls and
for registrations separately, from the same rules the provider applies:

a request to a domain is authenticated against the credential lists attached to that domain for
that purpose: "to be accepted, the username and password must be in one of the credential lists
mapped to the SIP Domain" (Twilio). When the username is in several of those lists, the password
of any of them is accepted (the setup review warns about it, since it is rarely intended).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from dataclasses import field

from django.db.models import Q
from django.urls import reverse

from accounts.models import ProviderAccount
from sip.digest import ha1_md5
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from sip.models import SipDomain


@dataclass(frozen=True)
class Reason:
    text: str
    fix_url: str
    fix_label: str


@dataclass
class Verdict:
    purpose: Purpose
    # The attached lists that hold the username: any of them authenticates it.
    via: list[CredentialList] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    password_checked: bool = False
    # With a typed password: the lists of `via` whose stored password it is.
    password_matches: list[CredentialList] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.via) and not self.reasons

    @property
    def via_names(self) -> str:
        return _names(self.via, " or ")

    @property
    def match_names(self) -> str:
        return _names(self.password_matches, " and ")


def _names(lists: list[CredentialList], last: str) -> str:
    """“A”, “B” or “C” (with last=" or ")."""
    names = [f"“{cl.name}”" for cl in lists]
    return last.join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names)


def check_connection(
    account: ProviderAccount, username: str, domain: SipDomain, password: str = ""
) -> list[Verdict]:
    slug, pk = account.organization.slug, account.pk

    def url(name: str, *args: int) -> str:
        return reverse(f"sip:{name}", args=[slug, pk, *args])

    attach_url = url("attachment-create") + f"?domain={domain.pk}"
    credentials = list(
        Credential.objects.filter(account=account, username=username)
        .select_related("credential_list")
        .order_by("credential_list__name")
    )
    user_lists = {c.credential_list_id: c.credential_list for c in credentials}
    # Only what the verdict needs: this domain's attachments and those of the user's lists.
    attachments = list(
        CredentialAttachment.objects.filter(
            Q(domain=domain) | Q(credential_list_id__in=list(user_lists))
        )
        .select_related("domain", "credential_list")
        .order_by("domain__domain")
    )
    # For a username found nowhere: the same name in another case, a common mistake.
    similar = (
        []
        if credentials
        else list(
            Credential.objects.filter(account=account, username__iexact=username)
            .order_by("username")
            .values_list("username", flat=True)
            .distinct()[:3]
        )
    )

    verdicts = []
    for purpose in (Purpose.CALLS, Purpose.REGISTRATIONS):
        what = purpose.label.lower()
        verdict = Verdict(purpose=purpose)
        on_domain = {
            a.credential_list_id: a.credential_list
            for a in attachments
            if a.domain_id == domain.pk and a.purpose == purpose
        }
        if not on_domain:
            verdict.reasons.append(
                Reason(
                    f"{domain} has no credential list attached for {what}: it refuses all {what}.",
                    attach_url,
                    f"Attach a credential list for {what}",
                )
            )
        if not credentials:
            hint = (
                f" Usernames are case-sensitive: did you mean {', '.join(similar)}?"
                if similar
                else ""
            )
            verdict.reasons.append(
                Reason(
                    f"The username “{username}” exists in no credential list of this account."
                    + hint,
                    url("credentiallist-list"),
                    "Add the SIP user to a credential list",
                )
            )
        matching = [cl for list_id, cl in user_lists.items() if list_id in on_domain]
        verdict.via = matching
        if credentials and not matching:
            for credential_list in user_lists.values():
                fix_url = f"{attach_url}&credential_list={credential_list.pk}"
                verdict.reasons.append(
                    _not_attached(credential_list, domain, purpose, attachments, fix_url)
                )
        unknown = [
            c for c in credentials if c.credential_list_id in on_domain and not c.password_known
        ]
        for credential in unknown:
            verdict.reasons.append(
                Reason(
                    f"The password of “{username}” in “{credential.credential_list.name}” was "
                    "set outside this app (imported from Twilio): this app cannot verify it, "
                    "and its SIP server does not authenticate it. Rotate it here to manage it.",
                    url("credential-rotate", credential.credential_list_id, credential.pk),
                    "Rotate the password",
                )
            )
        if password and matching and len(unknown) < len(matching):
            verdict.password_checked = True
            # The credentials were found by this exact username, so one digest serves them all.
            typed = ha1_md5(username, account.provider_info.realm, password)
            verdict.password_matches = [
                credential.credential_list
                for credential in credentials
                if credential.credential_list_id in on_domain
                and credential.password_known
                and hmac.compare_digest(typed, credential.ha1_md5)
            ]
            if not verdict.password_matches:
                for credential in credentials:
                    if credential.credential_list_id not in on_domain or credential in unknown:
                        continue
                    verdict.reasons.append(
                        Reason(
                            "The password typed does not match the one stored for "
                            f"“{username}” in “{credential.credential_list.name}”.",
                            url(
                                "credential-rotate",
                                credential.credential_list_id,
                                credential.pk,
                            ),
                            "Rotate the password",
                        )
                    )
        verdicts.append(verdict)
    return verdicts


def _not_attached(
    credential_list: CredentialList,
    domain: SipDomain,
    purpose: Purpose,
    attachments: list[CredentialAttachment],
    fix_url: str,
) -> Reason:
    what = purpose.label.lower()
    other = Purpose.REGISTRATIONS if purpose == Purpose.CALLS else Purpose.CALLS
    mine = [a for a in attachments if a.credential_list_id == credential_list.pk]
    if any(a.domain_id == domain.pk and a.purpose == other for a in mine):
        return Reason(
            f"“{credential_list.name}” is attached to {domain} for {other.label.lower()} "
            f"but not for {what}.",
            fix_url,
            f"Attach “{credential_list.name}” for {what}",
        )
    elsewhere = sorted({a.domain.domain for a in mine if a.purpose == purpose})
    where = (
        f" (for {what} it is attached to {', '.join(elsewhere)})"
        if elsewhere
        else " (it is attached to no domain for " + what + ")"
    )
    return Reason(
        f"The SIP user is in “{credential_list.name}”, which is not attached to {domain}{where}.",
        fix_url,
        f"Attach “{credential_list.name}” to {domain}",
    )
