"""Two admins attaching the same list at the same moment end with one row and no error."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django.test import Client

from sip.models import CredentialAttachment
from sip.models import CredentialList

pytestmark = pytest.mark.usefixtures("requires_postgresql")


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_attach_ends_with_one_row(admin_user, account, domain):
    phones = CredentialList.objects.create(account=account, name="Office phones")
    url = f"/o/acme/accounts/{account.pk}/attachments/new/"
    data = {"domain": domain.pk, "credential_list": phones.pk, "authenticates": "calls"}
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def submit() -> None:
        client = Client()
        client.force_login(admin_user)
        barrier.wait()
        try:
            statuses.append(client.post(url, data).status_code)
        finally:
            connections.close_all()

    for _round in range(5):
        CredentialAttachment.objects.all().delete()
        statuses.clear()
        threads = [threading.Thread(target=submit) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(statuses) == [200, 302], statuses
        assert CredentialAttachment.objects.count() == 1
