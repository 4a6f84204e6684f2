-- 0022: buildings speak for themselves. User information transmission devices (GB/T 26875.3)
-- report their buildings' fire-alarm panels and other fire facilities; the centre keeps every
-- report, what each device was last heard saying, and the state each facility system and
-- component is in now, from which the building fire-safety board is read.

-- A registered device may be a transmission device: its six-byte address as twelve lowercase
-- hex digits (the frames' source). Two devices in service never share an address, but a
-- retired device keeps its row (the evidence of past alarms) and frees its address for the one
-- that replaced it. registered_at dates a device that has never been heard: the board counts it
-- offline from then.
ALTER TABLE devices
    ADD COLUMN address       text CHECK (address ~ '^[0-9a-f]{12}$'),
    ADD COLUMN retired_at    timestamptz,
    ADD COLUMN registered_at timestamptz NOT NULL DEFAULT now();

CREATE UNIQUE INDEX devices_address_in_service ON devices (address) WHERE retired_at IS NULL;
-- The board lists a premises' devices.
CREATE INDEX devices_premise ON devices (premise_id) WHERE retired_at IS NULL;

-- Devices are audited like the rest of the reference data.
ALTER TABLE admin_audit DROP CONSTRAINT admin_audit_entity_check;
ALTER TABLE admin_audit ADD CONSTRAINT admin_audit_entity_check
    CHECK (entity IN ('station', 'unit', 'water_source', 'premise', 'response_plan', 'incident_type', 'device'));

-- Where a transmission device's facility systems and components are in the building. A row
-- without component_address places the whole system (every component without a place of its
-- own); NULLS NOT DISTINCT keeps a system to one such row. position keeps the
-- administrator's order. An update replaces a device's places wholesale.
CREATE TABLE device_places (
    device_id         text NOT NULL REFERENCES devices (id),
    position          integer NOT NULL,
    system            integer NOT NULL CHECK (system BETWEEN 0 AND 255),
    system_address    integer NOT NULL CHECK (system_address BETWEEN 0 AND 255),
    component_address bigint CHECK (component_address BETWEEN 0 AND 4294967295),
    building          text NOT NULL DEFAULT '',
    floor             text NOT NULL DEFAULT '',
    zone              text NOT NULL DEFAULT '',
    description       text NOT NULL DEFAULT '',
    PRIMARY KEY (device_id, position),
    UNIQUE NULLS NOT DISTINCT (device_id, system, system_address, component_address)
);

-- What the centre knows of every address it has heard, registered or not: a heartbeat writes
-- only this row, so 1,000 devices beating every minute cost one row update each. conditions
-- is the device's own state as its latest status said, conditions_since when it last changed.
CREATE TABLE device_links (
    address          text PRIMARY KEY CHECK (address ~ '^[0-9a-f]{12}$'),
    first_seen_at    timestamptz NOT NULL,
    last_seen_at     timestamptz NOT NULL,
    remote           text NOT NULL DEFAULT '',
    reports          bigint NOT NULL DEFAULT 0 CHECK (reports >= 0),
    conditions       text[] NOT NULL DEFAULT '{}',
    conditions_since timestamptz NOT NULL
);

-- Administrators list the unregistered devices latest first.
CREATE INDEX device_links_last_seen ON device_links (last_seen_at DESC);

-- Every report but plain heartbeats, as it came: (address, serial, label) is the standard's
-- identity of a frame, so a device's resend is found and changes nothing. The frame is kept
-- byte for byte as evidence, with why its unit could not be read when it could not.
CREATE TABLE device_reports (
    id          bigserial PRIMARY KEY,
    address     text NOT NULL CHECK (address ~ '^[0-9a-f]{12}$'),
    serial      integer NOT NULL,
    label       text NOT NULL,
    sent_at     timestamptz,
    received_at timestamptz NOT NULL,
    command     integer NOT NULL,
    type_flag   integer NOT NULL,
    frame       bytea NOT NULL,
    remote      text NOT NULL DEFAULT '',
    problem     text NOT NULL DEFAULT '',
    UNIQUE (address, serial, label)
);

-- The information objects of the reports, one row each, in the domain's words: the board's
-- history. system, component and their addresses are 0 where the event has none.
CREATE TABLE device_events (
    id                bigserial PRIMARY KEY,
    report_id         bigint NOT NULL REFERENCES device_reports (id),
    address           text NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('system_status', 'component_status', 'component_analog',
                          'system_operation', 'system_clock', 'device_status', 'device_operation', 'device_clock', 'unread')),
    system            integer NOT NULL DEFAULT 0,
    system_address    integer NOT NULL DEFAULT 0,
    component         integer NOT NULL DEFAULT 0,
    component_address bigint NOT NULL DEFAULT 0,
    conditions        text[] NOT NULL DEFAULT '{}',
    operations        text[] NOT NULL DEFAULT '{}',
    operator          integer NOT NULL DEFAULT 0,
    description       text NOT NULL DEFAULT '',
    analog_kind       integer NOT NULL DEFAULT 0,
    analog_value      integer NOT NULL DEFAULT 0,
    at                timestamptz,
    received_at       timestamptz NOT NULL
);

-- A board reads the latest events of its devices.
CREATE INDEX device_events_address ON device_events (address, id DESC);
CREATE INDEX device_events_report ON device_events (report_id);

-- The state each facility system is in now, as its latest status said; a system back to
-- normal stays, with no conditions, so the board lists what is connected. since is when it
-- entered its conditions (the device's clock when known), updated_at when it was last heard of.
CREATE TABLE device_system_states (
    address        text NOT NULL,
    system         integer NOT NULL,
    system_address integer NOT NULL,
    conditions     text[] NOT NULL,
    since          timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (address, system, system_address)
);

-- The components that are not in plain normal operation now. A component back to normal is
-- deleted (its history stays in device_events), so the board and the counts read only what is
-- wrong, however many detectors a building has.
CREATE TABLE device_component_states (
    address           text NOT NULL,
    system            integer NOT NULL,
    system_address    integer NOT NULL,
    component_address bigint NOT NULL,
    component         integer NOT NULL,
    conditions        text[] NOT NULL CHECK (cardinality(conditions) > 0),
    description       text NOT NULL DEFAULT '',
    since             timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    PRIMARY KEY (address, system, system_address, component_address)
);

-- A building's board changes when a device is first heard, when its own conditions change,
-- when a system's or a component's state changes, or when the registry changes: the notice
-- names the key premises of the device in service with the address, or the address itself
-- when it belongs to none. A report touching many components makes one notice: PostgreSQL
-- folds identical notices of one transaction.
CREATE FUNCTION building_of(addr text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT premise_id FROM devices WHERE address = addr AND retired_at IS NULL), addr)
$$;

CREATE FUNCTION notify_building_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    addr text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        addr := OLD.address;
    ELSE
        addr := NEW.address;
    END IF;
    PERFORM pg_notify('fireline_changes', json_build_object(
        'kind', 'building', 'id', building_of(addr), 'incident_id', 0)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER device_links_notify_insert AFTER INSERT ON device_links
    FOR EACH ROW EXECUTE FUNCTION notify_building_change();
CREATE TRIGGER device_links_notify_update AFTER UPDATE ON device_links
    FOR EACH ROW WHEN (OLD.conditions IS DISTINCT FROM NEW.conditions) EXECUTE FUNCTION notify_building_change();
CREATE TRIGGER device_system_states_notify_change AFTER INSERT OR DELETE ON device_system_states
    FOR EACH ROW EXECUTE FUNCTION notify_building_change();
CREATE TRIGGER device_system_states_notify_update AFTER UPDATE ON device_system_states
    FOR EACH ROW WHEN (OLD.conditions IS DISTINCT FROM NEW.conditions) EXECUTE FUNCTION notify_building_change();
CREATE TRIGGER device_component_states_notify_change AFTER INSERT OR DELETE ON device_component_states
    FOR EACH ROW EXECUTE FUNCTION notify_building_change();
CREATE TRIGGER device_component_states_notify_update AFTER UPDATE ON device_component_states
    FOR EACH ROW WHEN (OLD.conditions IS DISTINCT FROM NEW.conditions OR OLD.description IS DISTINCT FROM NEW.description)
    EXECUTE FUNCTION notify_building_change();

-- A registry change moves a device onto or off a board: the premises it left and the one it
-- joined are both announced.
CREATE FUNCTION notify_device_registry_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.premise_id IS DISTINCT FROM NEW.premise_id AND coalesce(OLD.premise_id, OLD.address) IS NOT NULL THEN
        PERFORM pg_notify('fireline_changes', json_build_object(
            'kind', 'building', 'id', coalesce(OLD.premise_id, OLD.address), 'incident_id', 0)::text);
    END IF;
    IF coalesce(NEW.premise_id, NEW.address) IS NOT NULL THEN
        PERFORM pg_notify('fireline_changes', json_build_object(
            'kind', 'building', 'id', coalesce(NEW.premise_id, NEW.address), 'incident_id', 0)::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER devices_notify AFTER INSERT OR UPDATE ON devices
    FOR EACH ROW EXECUTE FUNCTION notify_device_registry_change();
