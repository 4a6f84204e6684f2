-- 0019: dispatch records imported from the CAD system a centre is leaving, for the
-- response-time analytics and the risk grid.
--
-- An imported incident never had a workflow and never will: it is history, kept apart from the
-- live read model (its units are another city's, not rows of units) and read beside it by the
-- same analytics. A record is keyed by the dataset it came from and the source's own numbers, so
-- importing the same file again finds every row already there and changes nothing.

CREATE TABLE imported_incidents (
    id           bigserial PRIMARY KEY,
    dataset      text NOT NULL CHECK (dataset <> ''),  -- the import format's name: sf-calls, seattle-911
    number       text NOT NULL CHECK (number <> ''),   -- the source's incident number
    received_at  timestamptz NOT NULL,                 -- alarm received: the start of call processing
    time_zone    text NOT NULL CHECK (time_zone <> ''),-- IANA zone whose calendar dates the analytics use
    type         text NOT NULL DEFAULT '',             -- our incident type code, '' when the format maps none
    category     text NOT NULL DEFAULT 'other'
                 CHECK (category IN ('fire', 'ems', 'rescue', 'hazmat', 'other')),
    source_type  text NOT NULL DEFAULT '',             -- the type as the record says it ("Structure Fire")
    priority     text NOT NULL DEFAULT '',
    station_area text NOT NULL DEFAULT '',             -- the first-due station area the record names
    address      text NOT NULL DEFAULT '',
    lat          double precision CHECK (lat BETWEEN -90 AND 90),
    lng          double precision CHECK (lng BETWEEN -180 AND 180),
    cell         text NOT NULL DEFAULT '',             -- resolution-9 H3 cell, hex; '' without a position
    line         integer NOT NULL CHECK (line > 0),    -- the file line it was first read from
    imported_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dataset, number),
    CHECK ((lat IS NULL) = (lng IS NULL))
);

CREATE INDEX imported_incidents_received ON imported_incidents (received_at);
CREATE INDEX imported_incidents_cell ON imported_incidents (cell) WHERE cell <> '';

-- One row per unit per incident, with the times of its steps (NULL where the step did not
-- happen). row_key is the source's own key for the row (a dataset's row id, or the unit and its
-- dispatch time), so a unit sent twice to one incident keeps both rows.
CREATE TABLE imported_units (
    incident_id      bigint NOT NULL REFERENCES imported_incidents (id),
    row_key          text NOT NULL CHECK (row_key <> ''),
    unit_id          text NOT NULL CHECK (unit_id <> ''),
    unit_type        text NOT NULL DEFAULT '',  -- our unit type (engine, ladder, …), '' when the format maps none
    source_unit_type text NOT NULL DEFAULT '',  -- as the record says it (ENGINE, MEDIC, …)
    dispatched_at    timestamptz,
    en_route_at      timestamptz,
    on_scene_at      timestamptz,
    available_at     timestamptz,
    line             integer NOT NULL CHECK (line > 0),
    PRIMARY KEY (incident_id, row_key)
);
