"""sip_auth: the one contract between this app and a SIP server (deploy/kamailio/).

One row per credential, domain and purpose it authenticates: the digests of the SIP user's
password, the realm they were computed for, and where they count. A SIP server reads only this
view (on PostgreSQL through a role that can read nothing else), so the tables behind it can
change without touching the server's configuration. The realm comes from the provider registry
(accounts/providers.py); tests/sip/test_auth_view.py fails if a provider is missing here.
"""

from django.db import migrations

VIEW = """
CREATE VIEW sip_auth AS
SELECT
    c.id AS credential_id,
    c.username AS username,
    d.domain AS domain,
    a.purpose AS purpose,
    CASE p.provider
        WHEN 'twilio' THEN 'sip.twilio.com'
        WHEN 'telnyx' THEN 'sip.telnyx.com'
    END AS realm,
    c.ha1_md5 AS ha1_md5,
    c.ha1_sha256 AS ha1_sha256
FROM sip_credential c
JOIN sip_credentialattachment a ON a.credential_list_id = c.credential_list_id
JOIN sip_sipdomain d ON d.id = a.domain_id
-- LEFT: the same rows (every domain has its account), and a query that does not ask for
-- the realm does not read the accounts at all (the join is removed).
LEFT JOIN accounts_provideraccount p ON p.id = d.account_id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("sip", "0004_username_trigram_index"),
        ("accounts", "0006_activity_account_key"),
    ]

    operations = [
        migrations.RunSQL(VIEW, "DROP VIEW sip_auth"),
    ]
