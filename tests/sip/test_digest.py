"""The SIP password policy and generator, exactly, at every boundary and over many seeds."""

from __future__ import annotations

import random
import string

import pytest
from django.core.exceptions import ValidationError

from sip import digest
from sip.digest import GENERATED_LENGTH
from sip.digest import generate_password
from sip.digest import validate_sip_password


@pytest.mark.parametrize(
    ("password", "code", "message"),
    [
        ("Abcdefghij1", "password_short", "The password needs at least 12 characters."),
        ("Aa1" + "x" * 126, "password_long", "The password can have at most 128 characters."),
        ("abcdefghij12", "password_weak", "The password needs an upper case letter."),
        ("ABCDEFGHIJ12", "password_weak", "The password needs a lower case letter."),
        ("Abcdefghijkl", "password_weak", "The password needs a digit."),
        ("abcdefghijkl", "password_weak", "The password needs an upper case letter and a digit."),
        (
            "123456789012",
            "password_weak",
            "The password needs an upper case letter and a lower case letter.",
        ),
        (
            "!!!!!!!!!!!!",
            "password_weak",
            "The password needs an upper case letter, a lower case letter and a digit.",
        ),
    ],
)
def test_each_refusal_says_exactly_what_is_missing(password, code, message):
    with pytest.raises(ValidationError) as refused:
        validate_sip_password(password)
    assert refused.value.code == code
    assert refused.value.messages == [message]


@pytest.mark.parametrize("length", [12, 13, 64, 127, 128])
def test_lengths_within_the_policy_pass(length):
    validate_sip_password(("Aa1" * 50)[:length])


def test_generated_passwords_over_many_seeds(monkeypatch):
    for seed in range(300):
        chooser = random.Random(seed)  # stands in for secrets, seeded to repeat
        monkeypatch.setattr(digest.secrets, "choice", chooser.choice)
        password = generate_password()
        assert len(password) == GENERATED_LENGTH
        assert set(password) <= set(string.ascii_letters + string.digits)
        validate_sip_password(password)


def test_a_candidate_that_misses_the_policy_is_drawn_again(monkeypatch):
    # First candidate: all lower case letters (no upper case, no digit); then a valid one.
    drawn = iter("a" * GENERATED_LENGTH + "Ab1" * (GENERATED_LENGTH // 3))
    monkeypatch.setattr(digest.secrets, "choice", lambda alphabet: next(drawn))
    assert generate_password() == "Ab1" * (GENERATED_LENGTH // 3)


def test_generated_passwords_differ():
    assert len({generate_password() for _ in range(200)}) == 200
