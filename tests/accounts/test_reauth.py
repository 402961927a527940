"""Asking again before the most sensitive actions (accounts.decorators.recent_auth): revealing or
rotating SIP passwords, deleting a list or an account, changing a provider's API key. Plain and
HTMX; the action does not happen without it, and does after it."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.models import ProviderAccount
from accounts.models import SignInEvent
from sip.models import Credential
from sip.models import CredentialList
from tests.conftest import HTMX
from tests.conftest import PASSWORD
from tests.conftest import enrol
from tests.conftest import logged_in
from tests.conftest import rotation
from tests.conftest import totp_code
from tests.test_authorization_matrix import state
from tests.test_authorization_matrix import url_for

SENSITIVE = [
    "accounts:account-delete",
    "sip:connection-delete",
    "sip:credential-create",
    "sip:credential-import",
    "sip:credential-rotate",
    "sip:credential-rotate-many",
    "sip:credentiallist-delete",
]


def stale(client, settings) -> None:
    """The password was given longer ago than the window."""
    session = client.session
    session[two_factor.AUTHENTICATED_AT] -= settings.REAUTH_SECONDS + 1
    session.save()


@pytest.mark.parametrize("name", [*SENSITIVE, "sip:connection"])
def test_a_stale_sign_in_is_asked_again_and_nothing_happens(name, world, admin_user, settings):
    client = logged_in(admin_user)
    stale(client, settings)
    url = url_for(name, world)
    before = state()
    get = client.get(url)
    if name == "sip:connection":  # only its changes ask: the page itself is shown
        assert get.status_code == 200
    else:
        assert get.status_code == 302 and get["Location"].startswith("/login/again/?next=")
    post = client.post(url, {"password_choice": "generate", "name": "x"})
    assert post.status_code == 302 and post["Location"].startswith("/login/again/?next=")
    htmx = client.post(url, {"password_choice": "generate"}, headers=HTMX)
    assert htmx["HX-Retarget"] == "#reauth"
    assert 'hx-post="/login/again/"' in htmx.content.decode()
    assert state() == before


def test_a_list_is_deleted_only_after_the_password_is_given_again(account, admin_user, settings):
    doomed = CredentialList.objects.create(account=account, name="Doomed")
    client = logged_in(admin_user)
    stale(client, settings)
    url = f"/o/acme/accounts/{account.pk}/credential-lists/{doomed.pk}/delete/"
    prompt = client.post(url)
    assert CredentialList.objects.filter(pk=doomed.pk).exists()
    page = client.get(prompt["Location"]).content.decode()
    assert 'for="id_reauth-password"' in page and "Confirm it is you" in page
    wrong = client.post("/login/again/", {"reauth-password": "nope", "next": url}).content.decode()
    assert "<li>That is not your password.</li>" in wrong
    back = client.post("/login/again/", {"reauth-password": PASSWORD, "next": url})
    assert back.status_code == 302 and back["Location"] == url
    assert client.post(url).status_code in (200, 302)
    assert not CredentialList.objects.filter(pk=doomed.pk).exists()
    kinds = SignInEvent.objects.filter(user=admin_user).values_list("kind", flat=True)
    assert {"failed", "reauthenticated"} <= set(kinds)


def test_htmx_gets_the_prompt_in_place_and_then_the_action_goes_through(
    world, admin_user, settings
):
    client = logged_in(admin_user)
    stale(client, settings)
    url = url_for("sip:credential-rotate", world)
    credential = Credential.objects.get(pk=world["credential_id"])
    old = credential.ha1_md5
    data = rotation(world["credential_id"], password_choice="type", password="Brand-New-99-pass")
    prompt = client.post(url, data, headers=HTMX)
    assert prompt["HX-Retarget"] == "#reauth" and "Brand-New-99-pass" not in prompt.content.decode()
    credential.refresh_from_db()
    assert credential.ha1_md5 == old
    answer = client.post("/login/again/", {"reauth-password": PASSWORD}, headers=HTMX)
    assert answer["HX-Trigger"] == '{"reauthenticated": {}}'
    assert answer.content == b""  # the prompt is cleared; the page sends its request again
    again = client.post(url, data, headers=HTMX)
    assert "Brand-New-99-pass" in again.content.decode()  # shown once, in the answer
    credential.refresh_from_db()
    assert credential.ha1_md5 != old


def test_with_an_authenticator_app_asking_again_takes_a_code_too(account, admin_user, settings):
    device = enrol(admin_user)
    doomed = ProviderAccount.objects.create(organization=account.organization, name="Doomed")
    client = logged_in(admin_user)
    stale(client, settings)
    url = f"/o/acme/accounts/{doomed.pk}/delete/"
    no_code = client.post("/login/again/", {"reauth-password": PASSWORD}, headers=HTMX)
    assert (
        no_code["HX-Retarget"] == "#reauth" and "id_reauth-code_error" in no_code.content.decode()
    )
    assert client.post(url, headers=HTMX)["HX-Retarget"] == "#reauth"
    code = totp_code(device, steps=1)  # later than any code the session gave
    done = client.post(
        "/login/again/", {"reauth-password": PASSWORD, "reauth-code": code}, headers=HTMX
    )
    assert "reauthenticated" in done["HX-Trigger"]
    client.post(url, headers=HTMX)
    assert not ProviderAccount.objects.filter(pk=doomed.pk).exists()


def test_a_fresh_sign_in_is_recent(world, admin_user):
    """Signing in counts as giving the password: no prompt for the window after it."""
    client = logged_in(admin_user)
    assert client.get(url_for("sip:credential-create", world)).status_code == 200


def test_replacing_the_authenticator_app_asks_again(admin_user, settings):
    enrol(admin_user)
    client = logged_in(admin_user)
    assert client.get("/security/two-factor/").status_code == 200
    stale(client, settings)
    response = client.get("/security/two-factor/")
    assert response["Location"] == "/login/again/?next=%2Fsecurity%2Ftwo-factor%2F"
    client.post("/security/two-factor/", {"code": "123456"})
    assert TOTPDevice.objects.filter(user=admin_user).count() == 1
