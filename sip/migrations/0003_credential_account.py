from django.db import migrations, models
from django.db.models import OuterRef, Subquery
import django.db.models.deletion


def copy_accounts(apps, schema_editor):
    Credential = apps.get_model("sip", "Credential")
    CredentialList = apps.get_model("sip", "CredentialList")
    Credential.objects.update(
        account_id=Subquery(
            CredentialList.objects.filter(pk=OuterRef("credential_list_id")).values("account_id")
        )
    )


class Migration(migrations.Migration):
    # Credentials carry their list's account, for the SIP Users tab's index.

    dependencies = [
        ("accounts", "0004_indexes"),
        ("sip", "0002_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="credential", name="credential_username"),
        migrations.AddField(
            model_name="credential",
            name="account",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.provideraccount",
            ),
        ),
        migrations.RunPython(copy_accounts, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="credential",
            name="account",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.provideraccount",
            ),
        ),
        migrations.AddIndex(
            model_name="credential",
            index=models.Index(
                fields=["account", "-created_at", "-id"], name="credential_account_recent"
            ),
        ),
        migrations.AddIndex(
            model_name="credential",
            index=models.Index(fields=["account", "username"], name="credential_account_username"),
        ),
    ]
