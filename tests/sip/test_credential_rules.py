from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError

from sip import services
from sip.digest import generate_password
from sip.digest import ha1_md5
from sip.digest import ha1_sha256
from sip.digest import validate_sip_password
from sip.forms import CredentialForm
from sip.forms import CredentialListForm
from sip.forms import RotatePasswordForm
from sip.models import Credential
from sip.models import CredentialList
from whippy.forms import save_or_error

STRONG = "Correct-Horse-42-battery"


def list_form(account, name: str) -> CredentialListForm:
    return CredentialListForm({"name": name}, instance=CredentialList(account=account))


def credential_form(credential_list, **data) -> CredentialForm:
    values = {"username": "alice", "password_choice": "type", "password": STRONG, **data}
    return CredentialForm(values, instance=Credential(credential_list=credential_list))


@pytest.fixture
def phones(account) -> CredentialList:
    return CredentialList.objects.create(account=account, name="Office Phones")


@pytest.mark.parametrize(
    "near_duplicate",
    [
        "Office Phones",
        "office phones",
        "OFFICE-PHONES",
        "office_phones",
        "Office  Phones!",
        "officephones",
        " Office.Phones ",
    ],
)
def test_list_names_that_differ_only_in_case_spacing_or_punctuation_are_refused(
    phones, near_duplicate
):
    form = list_form(phones.account, near_duplicate)
    assert not form.is_valid()
    assert form.errors["name"] == ["A credential list with this name already exists."]
    assert CredentialList.objects.count() == 1


def test_distinct_names_are_fine_and_other_accounts_are_separate(phones, empty_account):
    assert list_form(phones.account, "Office Phones 2").is_valid()
    assert list_form(phones.account, "Warehouse").is_valid()
    assert list_form(empty_account, "Office Phones").is_valid()


def test_list_name_length_and_content(account):
    assert "at most 64 characters" in list_form(account, "x" * 65).errors["name"][0]
    assert list_form(account, "x" * 64).is_valid()
    assert list_form(account, "").errors["name"] == ["This field is required."]
    assert list_form(account, "---").errors["name"] == [
        "A credential list name needs a letter or a digit."
    ]


def test_renaming_a_list_to_its_own_name_in_other_case_is_fine(phones):
    form = CredentialListForm({"name": "OFFICE phones"}, instance=phones)
    assert form.is_valid(), form.errors


def test_twilio_limit_of_lists_per_account(account, admin_request):
    CredentialList.objects.bulk_create(
        CredentialList(account=account, name=f"L{i}", name_key=f"l{i}") for i in range(100)
    )
    form = list_form(account, "One more")
    assert form.is_valid()  # the limit is the service's, checked under its lock
    created = save_or_error(
        form,
        services.credential_list_create,
        request=admin_request,
        account=account,
        name="One more",
    )
    assert created is None
    assert "limit of 100 credential lists" in form.non_field_errors()[0]
    assert account.credential_lists.count() == 100


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("", "This field is required."),
        ("x" * 33, "at most 32 characters"),
        (".alice", "starting with a letter or digit"),
        ("-alice", "starting with a letter or digit"),
        ("al ice", "Use letters, digits, dots, underscores and hyphens"),
        ("al@ice", "Use letters, digits, dots, underscores and hyphens"),
        ("alïce", "Use letters, digits, dots, underscores and hyphens"),
    ],
)
def test_username_rules(phones, username, message):
    form = credential_form(phones, username=username)
    assert not form.is_valid()
    assert message in form.errors["username"][0]


@pytest.mark.parametrize("username", ["a", "x" * 32, "alice.smith", "ext_101", "9-front-desk"])
def test_valid_usernames(phones, username):
    assert credential_form(phones, username=username).is_valid()


def test_username_unique_within_list_ignoring_case(phones, account, admin_request):
    services.credential_create(
        request=admin_request, credential_list=phones, username="alice", password=STRONG
    )
    duplicate = credential_form(phones, username="ALICE")
    assert not duplicate.is_valid()
    assert duplicate.errors["username"] == ["This list already has a SIP user with this username."]
    other = CredentialList.objects.create(account=account, name="Other")
    assert credential_form(other).is_valid()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Short1a", "at least 12 characters"),
        ("A1" + "a" * 127, "at most 128 characters"),
        ("alllowercase123", "needs an upper case letter."),
        ("ALLUPPERCASE123", "needs a lower case letter."),
        ("NoDigitsAtAllHere", "needs a digit."),
        ("nodigitsorupper", "needs an upper case letter and a digit."),
        ("", "Type a password, or choose to generate one."),
    ],
)
def test_password_policy(phones, password, message):
    form = credential_form(phones, password=password)
    assert not form.is_valid()
    assert message in " ".join(form.errors["password"])


def test_password_policy_boundaries():
    validate_sip_password("Abcdefghij12")  # 12
    validate_sip_password("A1" + "b" * 126)  # 128
    with pytest.raises(ValidationError):
        validate_sip_password("Abcdefghij1")


def test_typed_password_with_generate_choice_is_flagged(phones):
    form = credential_form(phones, password_choice="generate", password=STRONG)
    assert not form.is_valid()
    assert "chose to generate one" in form.errors["password"][0]


def test_generated_password_meets_policy_and_is_long():
    passwords = {generate_password() for _ in range(50)}
    assert len(passwords) == 50
    for password in passwords:
        assert len(password) >= 20
        validate_sip_password(password)


def test_rfc_2617_vector_and_its_sha256_twin():
    assert ha1_md5("Mufasa", "testrealm@host.com", "Circle Of Life") == (
        "939e7578ed9e3c518a452acee763bce9"
    )
    expected = hashlib.sha256(b"Mufasa:testrealm@host.com:Circle Of Life").hexdigest()
    assert ha1_sha256("Mufasa", "testrealm@host.com", "Circle Of Life") == expected
    # Also computed with coreutils: printf "Mufasa:testrealm@host.com:Circle Of Life" | sha256sum
    assert expected == "3ba6cd94661c5ef34598040c868f13b8775df29109986be50ad35ae537dd3aa4"


def test_saved_credential_holds_only_digests_for_the_provider_realm(phones, admin_request):
    form = credential_form(phones)
    assert form.is_valid()
    credential = services.credential_create(
        request=admin_request, credential_list=phones, username="alice", password=STRONG
    )
    credential.refresh_from_db()
    assert credential.ha1_md5 == hashlib.md5(f"alice:sip.twilio.com:{STRONG}".encode()).hexdigest()
    assert (
        credential.ha1_sha256
        == hashlib.sha256(f"alice:sip.twilio.com:{STRONG}".encode()).hexdigest()
    )


def test_the_credential_form_never_saves_on_its_own(phones):
    # Saved by the form, a credential would have no digests: only the service saves one.
    form = credential_form(phones)
    assert form.is_valid()
    with pytest.raises(NotImplementedError, match=r"sip\.services\.credential_create"):
        form.save()
    assert not Credential.objects.exists()


def test_rotate_form_generates_or_validates(phones):
    generated = RotatePasswordForm({"password_choice": "generate", "version": "v1"})
    assert generated.is_valid()
    validate_sip_password(generated.cleaned_data["password"])
    weak = RotatePasswordForm({"password_choice": "type", "password": "weak", "version": "v1"})
    assert not weak.is_valid()
    unversioned = RotatePasswordForm({"password_choice": "generate"})
    assert not unversioned.is_valid()
    assert unversioned.non_field_errors() == [RotatePasswordForm.OUT_OF_DATE]


def test_limit_of_credentials_per_list(phones, admin_request):
    Credential.objects.bulk_create(
        Credential(
            credential_list=phones,
            account=phones.account,
            username=f"u{i}",
            ha1_md5="x",
            ha1_sha256="y",
        )
        for i in range(1000)
    )
    form = credential_form(phones, username="one-more")
    assert form.is_valid()  # the limit is the service's, checked under its lock
    created = save_or_error(
        form,
        services.credential_create,
        request=admin_request,
        credential_list=phones,
        username="one-more",
        password=STRONG,
    )
    assert created is None
    assert "limit of 1000 credentials in a list" in form.non_field_errors()[0]
    assert phones.credentials.count() == 1000
