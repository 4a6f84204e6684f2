-- 0016: the audit log of every state-changing request, and the application's own database role.
--
-- Migrations run as the schema's owner; the application connects as fireline_app (or a login
-- role that is a member of it), which reads and writes the tables it works on but may only read
-- and add to the audit trails. It owns nothing, so it can neither drop the audit log, truncate
-- it, nor disable its triggers; the triggers refuse UPDATE, DELETE and TRUNCATE even to an owner.
--
-- This file grants on every table there is, so it comes after every file that creates one. The
-- default privileges below give later tables the same grants when the same owner creates them;
-- a later append-only table revokes UPDATE and DELETE from fireline_app as audit_log does here.

-- The role is cluster-wide. A deployment usually creates it (with LOGIN and a password) before
-- the first migration; otherwise the owner creates it here without LOGIN, to be given a login
-- (ALTER ROLE fireline_app LOGIN PASSWORD '…') or members (CREATE ROLE api_node LOGIN IN ROLE
-- fireline_app) afterwards.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fireline_app') THEN
        BEGIN
            CREATE ROLE fireline_app NOLOGIN;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION 'role fireline_app does not exist and % may not create it', current_user
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'as a superuser: CREATE ROLE fireline_app LOGIN PASSWORD ''…''; then migrate again';
        END;
    END IF;
END
$$;

CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL DEFAULT '',          -- username; '' when the request signed in as nobody
    role        text NOT NULL DEFAULT '',
    remote_addr text NOT NULL DEFAULT '',
    method      text NOT NULL CHECK (method IN ('POST', 'PUT', 'PATCH', 'DELETE')),
    route       text NOT NULL CHECK (route <> ''), -- the route pattern: /api/v1/incidents/{id}/dispatch
    entity      text NOT NULL DEFAULT '',          -- incidents, units, stations…
    entity_id   text NOT NULL DEFAULT '',
    targets     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(targets) = 'object'),
    -- The body with its secrets redacted, kept small by the writer; the bound here stops a
    -- writer's bug from filling the disk.
    request     jsonb CHECK (request IS NULL OR octet_length(request::text) <= 16384),
    status      smallint NOT NULL CHECK (status BETWEEN 100 AND 599),
    error_code  text NOT NULL DEFAULT '',
    before      jsonb,
    after       jsonb,
    request_id  text NOT NULL DEFAULT ''
);

-- Reads are newest first by id, narrowed by time, actor or record.
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, id DESC);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, id DESC);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
-- The administrators' trail (0005) refused UPDATE and DELETE; TRUNCATE went around that.
CREATE TRIGGER admin_audit_no_truncate BEFORE TRUNCATE ON admin_audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- The administrators' changes made before this log existed, so that it tells the whole story
-- from the start. admin_audit stays: it is each record's history, written in the change's own
-- transaction, and the admin pages read it.
INSERT INTO audit_log (at, actor, role, method, route, entity, entity_id, status, before, after, request_id)
SELECT at, actor, 'admin',
       CASE action WHEN 'create' THEN 'POST' WHEN 'update' THEN 'PUT' ELSE 'DELETE' END,
       '/api/v1/admin/' || collection || CASE WHEN action = 'create' THEN ''
                                              WHEN entity = 'response_plan' THEN '/{type}/{level}'
                                              ELSE '/{id}' END,
       collection, entity_id,
       CASE action WHEN 'create' THEN 201 ELSE 200 END,
       before, after, 'admin_audit:' || id
FROM (SELECT *, CASE entity WHEN 'station' THEN 'stations' WHEN 'unit' THEN 'units'
                            WHEN 'water_source' THEN 'water-sources' WHEN 'premise' THEN 'premises'
                            ELSE 'response-plans' END AS collection
      FROM admin_audit) a
ORDER BY id;

-- What the application may do.
GRANT USAGE ON SCHEMA public TO fireline_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO fireline_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO fireline_app;
REVOKE UPDATE, DELETE ON audit_log, admin_audit FROM fireline_app;
-- Which migrations ran is the owner's business; the application may look.
REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM fireline_app;

-- Tables and sequences later migrations create (as the same owner) get the same grants.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO fireline_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO fireline_app;
