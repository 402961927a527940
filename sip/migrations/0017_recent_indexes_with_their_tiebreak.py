"""The tab's "most recent first" indexes end with the key, as the tables sort (created_at, then
id, both descending): a page's keys are read from the index in order, 50 of them, however the
database plans. Without the id, PostgreSQL's plan for a prepared statement (made once for every
account, not knowing the big one's size) read all 1,000 domains or 5,000 attachments of the
account and sorted them."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0009_sign_in_security'),
        ('sip', '0016_kept_counts'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='credential',
            name='credential_list_recent',
        ),
        migrations.RemoveIndex(
            model_name='credentialattachment',
            name='attachment_account_recent',
        ),
        migrations.RemoveIndex(
            model_name='credentiallist',
            name='list_account_recent',
        ),
        migrations.RemoveIndex(
            model_name='sipdomain',
            name='domain_account_recent',
        ),
        migrations.AddIndex(
            model_name='credential',
            index=models.Index(fields=['credential_list', '-created_at', '-id'], name='credential_list_recent'),
        ),
        migrations.AddIndex(
            model_name='credentialattachment',
            index=models.Index(fields=['account', '-created_at', '-id'], name='attachment_account_recent'),
        ),
        migrations.AddIndex(
            model_name='credentiallist',
            index=models.Index(fields=['account', '-created_at', '-id'], name='list_account_recent'),
        ),
        migrations.AddIndex(
            model_name='sipdomain',
            index=models.Index(fields=['account', '-created_at', '-id'], name='domain_account_recent'),
        ),
    ]
