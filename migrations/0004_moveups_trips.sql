-- 0004: move-ups (cover assignments), where people live (to weigh coverage gaps), and the trips
-- the learned travel-time model reads.

-- A unit sent to stand by at another station keeps its home station and gains a post. While it
-- has no AVL fix its lat/lng/cell hold the post's position (where planning takes it to be); with
-- a fix they hold the fix, as before. The post lasts through incidents, as a covering crew
-- returns to the station it covers, until a supervisor ends it.
ALTER TABLE units ADD COLUMN post_station_id text REFERENCES stations (id);

-- Why a history entry was written when its status alone does not say ("move-up to LQ-1").
ALTER TABLE unit_events ADD COLUMN note text NOT NULL DEFAULT '';

-- Every move-up an operator accepted or ignored, with the coverage figures the suggestion
-- showed: evidence for the review, and (ignored ones) what not to suggest again for a while.
CREATE TABLE move_ups (
    id                bigserial PRIMARY KEY,
    unit_id           text NOT NULL REFERENCES units (id),
    unit_type         text NOT NULL,
    from_station_id   text NOT NULL DEFAULT '',
    to_station_id     text NOT NULL REFERENCES stations (id),
    decision          text NOT NULL CHECK (decision IN ('accepted', 'ignored')),
    actor             text NOT NULL CHECK (actor <> ''),
    decided_at        timestamptz NOT NULL,
    travel_s          double precision NOT NULL CHECK (travel_s >= 0),
    gap_cells_before  integer NOT NULL CHECK (gap_cells_before >= 0),
    gap_cells_after   integer NOT NULL CHECK (gap_cells_after >= 0),
    gap_weight_before double precision NOT NULL CHECK (gap_weight_before >= 0),
    gap_weight_after  double precision NOT NULL CHECK (gap_weight_after >= 0),
    reason            text NOT NULL DEFAULT ''
);

CREATE INDEX move_ups_recent ON move_ups (decided_at DESC, id DESC);

CREATE FUNCTION move_ups_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'move_ups is append-only' USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER move_ups_append_only BEFORE UPDATE OR DELETE ON move_ups
    FOR EACH ROW EXECUTE FUNCTION move_ups_append_only();

-- Consoles refresh their move-up suggestions when any operator decides one.
CREATE FUNCTION notify_move_up() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('fireline_changes', json_build_object(
        'kind', 'move_up', 'id', NEW.id::text, 'incident_id', 0)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER move_ups_notify AFTER INSERT ON move_ups
    FOR EACH ROW EXECUTE FUNCTION notify_move_up();

-- Trips (en route → on scene) are read from finished assignments, in the order they ended, and
-- each unit's latest finished assignment when it clears.
CREATE INDEX incident_units_trips ON incident_units (on_scene_at, id)
    WHERE cleared_at IS NOT NULL AND en_route_at IS NOT NULL AND on_scene_at IS NOT NULL;
CREATE INDEX incident_units_cleared ON incident_units (unit_id, cleared_at DESC, id DESC)
    WHERE cleared_at IS NOT NULL;
-- The en-route entry of an assignment, for a trip's origin.
CREATE INDEX unit_events_incident ON unit_events (unit_id, incident_id, status, at DESC, id DESC);

-- Where people live: each area's people spread around its centre in a Gaussian of radius_m
-- (its standard deviation). Coverage weighs each cell by the people in it.
CREATE TABLE population_areas (
    name     text PRIMARY KEY CHECK (name <> ''),
    lat      double precision NOT NULL, -- WGS-84
    lng      double precision NOT NULL,
    people   double precision NOT NULL CHECK (people >= 0),
    radius_m double precision NOT NULL CHECK (radius_m > 0)
);
