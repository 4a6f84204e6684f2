-- 0001: Fireline's first schema: reference data, alarms, incidents and their projections,
-- the append-only timeline, users and sessions, and the change feed.
--
-- Statuses and levels are CHECKed here so that no writer, ours or a psql session, can store a
-- value the domain does not know. Types (incident, unit) are not: the domain validates them,
-- and a new type should not need a migration.

CREATE TABLE stations (
    id       text PRIMARY KEY CHECK (id <> ''),
    name     text NOT NULL,
    district text NOT NULL DEFAULT '',
    address  text NOT NULL DEFAULT '',
    lat      double precision NOT NULL, -- WGS-84
    lng      double precision NOT NULL
);

CREATE TABLE water_sources (
    id       text PRIMARY KEY CHECK (id <> ''),
    kind     text NOT NULL,
    flow_lpm integer NOT NULL DEFAULT 0 CHECK (flow_lpm >= 0), -- litres per minute
    status   text NOT NULL DEFAULT 'working' CHECK (status IN ('working', 'out_of_service')),
    lat      double precision NOT NULL,
    lng      double precision NOT NULL
);

CREATE TABLE premises (
    id       text PRIMARY KEY CHECK (id <> ''),
    name     text NOT NULL,
    kind     text NOT NULL DEFAULT '',
    address  text NOT NULL DEFAULT '',
    lat      double precision NOT NULL,
    lng      double precision NOT NULL,
    hazards  text[] NOT NULL DEFAULT '{}',
    pre_plan text NOT NULL DEFAULT ''
);

-- Run cards. A level with no card of its own falls back to the highest level below it.
CREATE TABLE response_plans (
    incident_type text NOT NULL,
    level         integer NOT NULL CHECK (level BETWEEN 1 AND 5),
    slots         jsonb NOT NULL CHECK (jsonb_typeof(slots) = 'array'), -- [{"type":"engine","count":2}]
    PRIMARY KEY (incident_type, level)
);

CREATE TABLE incidents (
    id             bigserial PRIMARY KEY,
    type           text NOT NULL,
    level          integer NOT NULL DEFAULT 1 CHECK (level BETWEEN 1 AND 5),
    status         text NOT NULL DEFAULT 'received'
                   CHECK (status IN ('received', 'dispatching', 'active', 'closed', 'reviewed')),
    lat            double precision NOT NULL,
    lng            double precision NOT NULL,
    cell           text NOT NULL, -- resolution-9 H3 cell, hex
    address        text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL, -- first alarm received
    closed_at      timestamptz,
    -- Kept by ReceiveAlarm in the same transaction as the alarm, so the incident row changes
    -- (and notifies) when an alarm merges.
    alarm_count    integer NOT NULL DEFAULT 0 CHECK (alarm_count >= 0),
    recommendation jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(recommendation) = 'array'),
    review         jsonb,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((closed_at IS NULL) = (status IN ('received', 'dispatching', 'active')))
);

-- Duplicate search: open incidents by cell, recent first.
CREATE INDEX incidents_open_cell ON incidents (cell, created_at)
    WHERE status IN ('received', 'dispatching', 'active');
CREATE INDEX incidents_newest ON incidents (created_at DESC, id DESC);

CREATE TABLE units (
    id          text PRIMARY KEY CHECK (id <> ''),
    name        text NOT NULL,
    type        text NOT NULL,
    status      text NOT NULL DEFAULT 'available'
                CHECK (status IN ('available', 'dispatched', 'acknowledged', 'en_route', 'on_scene', 'out_of_service')),
    station_id  text REFERENCES stations (id),
    lat         double precision NOT NULL,
    lng         double precision NOT NULL,
    cell        text NOT NULL DEFAULT '',
    incident_id bigint REFERENCES incidents (id),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- A unit works an incident exactly when its status says it is committed.
    CHECK ((incident_id IS NOT NULL) = (status IN ('dispatched', 'acknowledged', 'en_route', 'on_scene')))
);

CREATE INDEX units_incident ON units (incident_id) WHERE incident_id IS NOT NULL;

CREATE TABLE alarms (
    id          bigserial PRIMARY KEY,
    source      text NOT NULL CHECK (source IN ('call', 'iot', 'lamppost', 'public', 'cap')),
    source_id   text NOT NULL CHECK (source_id <> ''),
    type        text NOT NULL,
    lat         double precision NOT NULL,
    lng         double precision NOT NULL,
    cell        text NOT NULL,
    address     text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    caller      text NOT NULL DEFAULT '',
    reported_at timestamptz NOT NULL, -- the source's clock
    received_at timestamptz NOT NULL, -- ours: the start of call processing
    incident_id bigint REFERENCES incidents (id),
    UNIQUE (source, source_id) -- a source's retry is the same alarm
);

CREATE INDEX alarms_incident ON alarms (incident_id);

-- Assignments: one row per dispatch of a unit to an incident. A unit cleared and sent again
-- gets a second row.
CREATE TABLE incident_units (
    id            bigserial PRIMARY KEY,
    incident_id   bigint NOT NULL REFERENCES incidents (id),
    unit_id       text NOT NULL REFERENCES units (id),
    type          text NOT NULL,
    status        text NOT NULL
                  CHECK (status IN ('available', 'dispatched', 'acknowledged', 'en_route', 'on_scene', 'out_of_service')),
    dispatched_at timestamptz NOT NULL,
    ack_at        timestamptz,
    en_route_at   timestamptz,
    on_scene_at   timestamptz,
    cleared_at    timestamptz,
    -- A retried reservation (same incident, unit and dispatch time) finds its own row.
    UNIQUE (incident_id, unit_id, dispatched_at)
);

-- The rule the whole system leans on: a unit is never on two incidents at once.
CREATE UNIQUE INDEX incident_units_one_open ON incident_units (unit_id) WHERE cleared_at IS NULL;
CREATE INDEX incident_units_incident ON incident_units (incident_id, dispatched_at, unit_id);

CREATE TABLE incident_events (
    id          bigserial PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES incidents (id),
    key         text NOT NULL CHECK (key <> ''), -- idempotency key chosen by the writer
    at          timestamptz NOT NULL,
    kind        text NOT NULL CHECK (kind <> ''),
    unit_id     text NOT NULL DEFAULT '',
    actor       text NOT NULL DEFAULT '',
    detail      text NOT NULL DEFAULT '',
    data        jsonb CHECK (data IS NULL OR jsonb_typeof(data) = 'object'),
    UNIQUE (incident_id, key)
);

CREATE INDEX incident_events_timeline ON incident_events (incident_id, at, id);

-- The timeline is evidence for the after-action review: nothing rewrites it.
CREATE FUNCTION incident_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'incident_events is append-only' USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER incident_events_append_only BEFORE UPDATE OR DELETE ON incident_events
    FOR EACH ROW EXECUTE FUNCTION incident_events_append_only();

CREATE TABLE users (
    username      text PRIMARY KEY CHECK (username <> ''),
    password_hash text NOT NULL, -- bcrypt
    role          text NOT NULL CHECK (role IN ('operator', 'supervisor', 'field', 'risk', 'admin')),
    unit_id       text REFERENCES units (id),
    -- Field users are a crew's device, bound to its unit; nobody else is.
    CHECK ((role = 'field') = (unit_id IS NOT NULL))
);

CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY, -- SHA-256 of the token: a leaked table opens no session
    username   text NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

CREATE INDEX sessions_user_expiry ON sessions (username, expires_at);

-- The change feed. Consoles and the unit index of every process follow these notices instead
-- of polling. Payloads stay tiny ({"kind","id","incident_id"}); readers fetch what they need.
CREATE FUNCTION notify_incident_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('fireline_changes', json_build_object(
        'kind', 'incident', 'id', NEW.id::text, 'incident_id', NEW.id)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER incidents_notify AFTER INSERT OR UPDATE ON incidents
    FOR EACH ROW EXECUTE FUNCTION notify_incident_change();

-- A unit's notice names the incident it joined or, when released, the one it left.
CREATE FUNCTION notify_unit_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    incident bigint := NEW.incident_id;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        incident := coalesce(NEW.incident_id, OLD.incident_id);
    END IF;
    PERFORM pg_notify('fireline_changes', json_build_object(
        'kind', 'unit', 'id', NEW.id, 'incident_id', coalesce(incident, 0))::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER units_notify AFTER INSERT OR UPDATE ON units
    FOR EACH ROW EXECUTE FUNCTION notify_unit_change();

CREATE FUNCTION notify_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('fireline_changes', json_build_object(
        'kind', 'event', 'id', NEW.id::text, 'incident_id', NEW.incident_id)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER incident_events_notify AFTER INSERT ON incident_events
    FOR EACH ROW EXECUTE FUNCTION notify_event_change();
