-- 0007: unified alarm receipt from every source: what a panel, a lamp post or a member of the
-- public reports beside the common fields, the registries that place panels and lamp posts,
-- CAP warnings and the cells whose readiness they raise, and a role for machine gateways.
--
-- (Version 6, the incident lifecycle, is written on another branch: migrations.Reserved.)

-- A panel's event kind (empty for every other source), the key premises and the device an alarm
-- comes from, whether a public report is still unverified and who confirmed it, and the source's
-- other facts (floor, zone, people trapped, hazards, numbers, a photo reference).
ALTER TABLE alarms
    ADD COLUMN kind         text NOT NULL DEFAULT ''
                            CHECK (kind IN ('', 'fire_alarm', 'fault', 'supervisory', 'reset')),
    ADD COLUMN premise_id   text REFERENCES premises (id),
    ADD COLUMN device_id    text NOT NULL DEFAULT '',
    ADD COLUMN unverified   boolean NOT NULL DEFAULT false,
    ADD COLUMN confirmed_by text NOT NULL DEFAULT '',
    ADD COLUMN confirmed_at timestamptz,
    ADD COLUMN details      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object'),
    ADD CONSTRAINT alarms_kind_from_panels CHECK (kind = '' OR source = 'iot'),
    ADD CONSTRAINT alarms_unverified_public CHECK (NOT unverified OR source = 'public'),
    ADD CONSTRAINT alarms_confirmed CHECK ((confirmed_at IS NULL) = (confirmed_by = '')),
    -- Faults, supervisory events and resets are recorded without an incident.
    ADD CONSTRAINT alarms_recorded_only CHECK (kind NOT IN ('fault', 'supervisory', 'reset') OR incident_id IS NULL);

-- A panel's reset looks up the open incident its device's latest fire alarm opened.
CREATE INDEX alarms_device ON alarms (device_id, received_at DESC) WHERE device_id <> '';

-- Fire-alarm panels connected to the command centre: an event names only the device.
CREATE TABLE devices (
    id         text PRIMARY KEY CHECK (id <> ''),
    premise_id text REFERENCES premises (id), -- NULL: a building that is no key premises
    building   text NOT NULL CHECK (building <> ''),
    floor      text NOT NULL DEFAULT '',
    zone       text NOT NULL DEFAULT '',
    lat        double precision NOT NULL, -- WGS-84, the building's entrance
    lng        double precision NOT NULL
);

-- Lamp posts with an emergency button: a press names only the pole.
CREATE TABLE poles (
    id      text PRIMARY KEY CHECK (id <> ''),
    lat     double precision NOT NULL,
    lng     double precision NOT NULL,
    address text NOT NULL DEFAULT ''
);

-- CAP 1.2 alerts as received, one row per (sender, identifier): CAP's own unique key, so a
-- feed's retry is the same warning. alert is the parsed alert as the API shows it (without its
-- cells), raw the XML as it came, kept as evidence. A later Update or Cancel that references a
-- warning supersedes it.
CREATE TABLE warnings (
    id              bigserial PRIMARY KEY,
    sender          text NOT NULL CHECK (sender <> ''),
    identifier      text NOT NULL CHECK (identifier <> ''),
    sent            timestamptz NOT NULL,
    status          text NOT NULL CHECK (status IN ('Actual', 'Exercise', 'System', 'Test', 'Draft')),
    msg_type        text NOT NULL CHECK (msg_type IN ('Alert', 'Update', 'Cancel', 'Ack', 'Error')),
    expires         timestamptz NOT NULL,
    readiness       integer NOT NULL CHECK (readiness BETWEEN 0 AND 3),
    in_service_area boolean NOT NULL,
    alert           jsonb NOT NULL CHECK (jsonb_typeof(alert) = 'object'),
    raw             text NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    superseded_by   bigint REFERENCES warnings (id),
    superseded_at   timestamptz,
    UNIQUE (sender, identifier),
    CHECK ((superseded_by IS NULL) = (superseded_at IS NULL))
);

CREATE INDEX warnings_in_force ON warnings (expires) WHERE superseded_by IS NULL;
CREATE INDEX warnings_newest ON warnings (received_at DESC, id DESC);

-- The resolution-7 service-area cells each warning covers, with the readiness it raises there
-- and when that runs out.
CREATE TABLE warning_cells (
    warning_id bigint NOT NULL REFERENCES warnings (id),
    cell       text NOT NULL,
    readiness  integer NOT NULL CHECK (readiness BETWEEN 0 AND 3),
    expires    timestamptz NOT NULL,
    PRIMARY KEY (warning_id, cell)
);

CREATE INDEX warning_cells_cell ON warning_cells (cell, expires);

-- Consoles redraw the warnings layer when a warning arrives or is superseded.
CREATE FUNCTION notify_warning_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('fireline_changes', json_build_object(
        'kind', 'warning', 'id', NEW.id::text, 'incident_id', 0)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER warnings_notify AFTER INSERT OR UPDATE ON warnings
    FOR EACH ROW EXECUTE FUNCTION notify_warning_change();

-- Machine gateways (panel network, lamp posts, public app and SMS, CAP feed) sign in with a
-- role of their own that may post alarms and warnings and nothing else.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('operator', 'supervisor', 'field', 'risk', 'admin', 'gateway'));
