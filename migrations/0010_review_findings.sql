-- 0010: the findings of incident reviews, and an index for searching incidents by area.
--
-- A finding is what a risk officer (or a supervisor) records about an incident after the fact:
-- a delay, a radio problem, equipment that failed. Like the timeline it is evidence: rows are
-- only added, and a correction is a new finding that names the one it corrects.

CREATE TABLE incident_findings (
    id          bigserial PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES incidents (id),
    at          timestamptz NOT NULL DEFAULT now(),
    category    text NOT NULL CHECK (category IN ('response_time', 'communication', 'equipment', 'procedure', 'other')),
    -- fireline.MaxFindingLen characters; the API names the limit before this check is reached.
    text        text NOT NULL CHECK (btrim(text) <> '' AND char_length(text) <= 2000),
    author      text NOT NULL CHECK (author <> ''),  -- the username
    author_role text NOT NULL,                       -- the author's role when writing it
    -- An earlier finding of the same incident that this one corrects.
    corrects    bigint,
    UNIQUE (incident_id, id),
    FOREIGN KEY (incident_id, corrects) REFERENCES incident_findings (incident_id, id),
    CHECK (corrects < id)
);

CREATE INDEX incident_findings_incident ON incident_findings (incident_id, at, id);

CREATE FUNCTION incident_findings_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'incident_findings is append-only' USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER incident_findings_append_only BEFORE UPDATE OR DELETE ON incident_findings
    FOR EACH ROW EXECUTE FUNCTION incident_findings_append_only();

-- The review's search by area is a latitude and longitude box around a point before the exact
-- distance, as the nearby searches are (0003).
CREATE INDEX incidents_lat_lng ON incidents (lat, lng);
