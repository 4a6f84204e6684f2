-- 0005: administration of reference data: retiring stations, units, water sources, key
-- premises and run cards instead of deleting them, and the audit trail of every change.
--
-- Reference data is evidence for the reviews of past incidents (which station was E-DCF-1 based
-- at, which hydrants were there), so nothing is ever deleted: an administrator retires a record.
-- A retired record keeps its row and its id; the normal reads, the nearby searches and the
-- recommender leave it out.

ALTER TABLE stations ADD COLUMN retired_at timestamptz;
ALTER TABLE water_sources ADD COLUMN retired_at timestamptz;
ALTER TABLE premises ADD COLUMN retired_at timestamptz;

-- A retired unit is out of service for good: no status report, dispatch or re-import can put it
-- back on the road, whatever the writer.
ALTER TABLE units
    ADD COLUMN retired_at timestamptz,
    ADD CONSTRAINT units_retired_out_of_service CHECK (retired_at IS NULL OR status = 'out_of_service');

-- A run card's key (incident type, level) is used again when a retired card is replaced, so
-- cards get an id of their own and only the card in force is unique per key. A card without
-- slots would recommend nothing for a real alarm.
ALTER TABLE response_plans
    ADD COLUMN id bigserial,
    ADD COLUMN retired_at timestamptz,
    DROP CONSTRAINT response_plans_pkey,
    ADD CONSTRAINT response_plans_slots CHECK (jsonb_array_length(slots) > 0);
ALTER TABLE response_plans ADD PRIMARY KEY (id);
CREATE UNIQUE INDEX response_plans_in_force ON response_plans (incident_type, level) WHERE retired_at IS NULL;

-- Every administrator change, written in the transaction that makes it. before and after are
-- the record as the API shows it, so a reviewer reads them without knowing the schema of the day.
CREATE TABLE admin_audit (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    actor     text NOT NULL CHECK (actor <> ''), -- the administrator's username
    action    text NOT NULL CHECK (action IN ('create', 'update', 'retire')),
    entity    text NOT NULL CHECK (entity IN ('station', 'unit', 'water_source', 'premise', 'response_plan')),
    entity_id text NOT NULL CHECK (entity_id <> ''), -- a run card's is "incident_type/level"
    before    jsonb CHECK (before IS NULL OR jsonb_typeof(before) = 'object'),
    after     jsonb NOT NULL CHECK (jsonb_typeof(after) = 'object'),
    CHECK ((before IS NULL) = (action = 'create'))
);

-- One record's story, newest first; the whole trail reads newest first by the primary key.
CREATE INDEX admin_audit_entity ON admin_audit (entity, entity_id, id DESC);

-- Like the incident timeline and unit histories, the audit trail is evidence: nothing rewrites it.
CREATE FUNCTION admin_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'admin_audit is append-only' USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER admin_audit_append_only BEFORE UPDATE OR DELETE ON admin_audit
    FOR EACH ROW EXECUTE FUNCTION admin_audit_append_only();
