-- 0002: the unit state machine's new statuses, AVL fixes on units, and each unit's own history.

-- transporting and returning are committed statuses: the unit is still on its incident until
-- its crew reports available. 0001's CHECKs were unnamed; these are PostgreSQL's names for them.
ALTER TABLE units
    DROP CONSTRAINT units_status_check,
    DROP CONSTRAINT units_check,
    ADD CONSTRAINT units_status_check CHECK (status IN ('available', 'dispatched', 'acknowledged', 'en_route',
        'on_scene', 'transporting', 'returning', 'out_of_service')),
    -- A unit works an incident exactly when its status says it is committed.
    ADD CONSTRAINT units_committed CHECK ((incident_id IS NOT NULL) = (status IN ('dispatched', 'acknowledged',
        'en_route', 'on_scene', 'transporting', 'returning')));

ALTER TABLE incident_units
    DROP CONSTRAINT incident_units_status_check,
    ADD CONSTRAINT incident_units_status_check CHECK (status IN ('available', 'dispatched', 'acknowledged',
        'en_route', 'on_scene', 'transporting', 'returning', 'out_of_service'));

-- The latest AVL fix. lat, lng and cell hold its position once a unit has reported one; until
-- then they hold where the import placed the unit (its station) and fix_at is NULL. A fix is
-- one UPDATE: trackers report every few seconds.
ALTER TABLE units
    ADD COLUMN fix_at   timestamptz,      -- when the fix was taken, by the tracker's clock
    ADD COLUMN heading  double precision  -- degrees clockwise from true north
        CHECK (heading >= 0 AND heading <= 360),
    ADD COLUMN speed    double precision CHECK (speed >= 0),   -- metres per second
    ADD COLUMN accuracy double precision CHECK (accuracy >= 0); -- metres, horizontal radius

-- A unit's own history: every change of status, written in the same transaction as the change,
-- with the incident it concerned and where the unit was (the learned travel-time model reads
-- en route → on scene pairs from here).
CREATE TABLE unit_events (
    id          bigserial PRIMARY KEY,
    unit_id     text NOT NULL REFERENCES units (id),
    at          timestamptz NOT NULL,
    status      text NOT NULL CHECK (status IN ('available', 'dispatched', 'acknowledged', 'en_route',
        'on_scene', 'transporting', 'returning', 'out_of_service')),
    incident_id bigint REFERENCES incidents (id), -- joined, or cleared from; NULL when none
    actor       text NOT NULL DEFAULT '',         -- the user; '' when the system acted
    lat         double precision NOT NULL,        -- the unit's position at the change, WGS-84
    lng         double precision NOT NULL,
    source      text NOT NULL CHECK (source IN ('avl', 'station')), -- what lat/lng was
    fix_at      timestamptz                       -- the time of that fix, when source is avl
);

CREATE INDEX unit_events_unit ON unit_events (unit_id, at DESC, id DESC);

-- Like the incident timeline, a unit's history is evidence: nothing rewrites it.
CREATE FUNCTION unit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'unit_events is append-only' USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER unit_events_append_only BEFORE UPDATE OR DELETE ON unit_events
    FOR EACH ROW EXECUTE FUNCTION unit_events_append_only();
