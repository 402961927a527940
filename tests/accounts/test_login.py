from __future__ import annotations

from django.test import Client

from tests.conftest import HTMX
from tests.conftest import PASSWORD


def test_anonymous_request_goes_to_login(db):
    response = Client().get("/o/acme/accounts/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/o/acme/accounts/"


def test_anonymous_htmx_request_gets_hx_redirect_not_a_login_page(db):
    response = Client().get(
        "/o/acme/accounts/1/domains/",
        headers={**HTMX, "HX-Current-URL": "http://testserver/o/acme/accounts/1/credential-lists/"},
    )
    assert response.status_code == 200
    assert (
        response["HX-Redirect"] == "/login/?next=%2Fo%2Facme%2Faccounts%2F1%2Fcredential-lists%2F"
    )
    assert response.content == b""


def test_login_page_looks_like_the_app_and_logs_in(admin_user):
    client = Client()
    page = client.get("/login/")
    assert page.status_code == 200
    assert b"Log in" in page.content and b"css/app.css" in page.content
    response = client.post("/login/", {"username": "alice", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/o/acme/accounts/"
    assert b"Acme Telecom" in response.content


def test_wrong_password_is_refused_with_a_message(admin_user):
    response = Client().post("/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert b'value="alice"' in response.content


def test_logout_is_a_post_and_ends_the_session(admin_client):
    assert admin_client.get("/o/acme/accounts/").status_code == 200
    assert admin_client.get("/logout/").status_code == 405
    response = admin_client.post("/logout/")
    assert response.status_code == 302
    assert admin_client.get("/o/acme/accounts/").status_code == 302


def test_home_sends_a_member_to_their_organization(admin_client):
    response = admin_client.get("/")
    assert response["Location"] == "/o/acme/accounts/"


def test_home_without_membership_explains(django_user_model):
    user = django_user_model.objects.create_user("lonely", password=PASSWORD)
    client = Client()
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    assert b"not a member of any organization" in response.content


def test_inactive_user_is_refused(admin_user, admin_client):
    admin_user.is_active = False
    admin_user.save()
    assert admin_client.get("/o/acme/accounts/").status_code == 302
