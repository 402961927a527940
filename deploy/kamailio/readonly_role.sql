-- A PostgreSQL role for SIP servers: it can read the sip_auth view (directly or through
-- sip_auth_lookup, which reads the view with the caller's rights) and nothing else.
-- Run as the database owner, with psql variables for the role's name and password:
--   psql "$DATABASE_URL" -v role=sip_edge -v password='a long random secret' -f readonly_role.sql
-- The view reads the app's tables with its owner's rights, so the role needs no grant on them.
CREATE ROLE :"role" LOGIN PASSWORD :'password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM :"role";
GRANT USAGE ON SCHEMA public TO :"role";
GRANT SELECT ON sip_auth TO :"role";
GRANT EXECUTE ON FUNCTION sip_auth_lookup(text, text, text) TO :"role";
