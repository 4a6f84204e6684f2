-- 0006: the full incident lifecycle: assessment and priority, control, cancellation, merging,
-- the supervisors' escalation queue, joint-agency tasks, and pre-plan assessments of key
-- premises.

ALTER TABLE incidents
    DROP CONSTRAINT incidents_status_check,
    DROP CONSTRAINT incidents_check,
    ADD CONSTRAINT incidents_status_check CHECK (status IN ('received', 'assessing', 'dispatching', 'active',
        'controlled', 'closed', 'cancelled', 'merged', 'reviewed')),
    ADD CONSTRAINT incidents_open_until_closed CHECK ((closed_at IS NULL) = (status IN ('received', 'assessing',
        'dispatching', 'active', 'controlled'))),
    ADD COLUMN priority integer CHECK (priority BETWEEN 1 AND 4), -- NULL until assessed
    -- How the incident ended; it stays when the status moves on to reviewed.
    ADD COLUMN outcome text CHECK (outcome IN ('closed', 'cancelled', 'merged')),
    ADD COLUMN merged_into bigint REFERENCES incidents (id),
    ADD CONSTRAINT incidents_merged CHECK ((merged_into IS NOT NULL) = (outcome IS NOT DISTINCT FROM 'merged')),
    ADD CONSTRAINT incidents_outcome CHECK ((outcome IS NULL) = (closed_at IS NULL));

-- Incidents closed before this migration ended by closing.
UPDATE incidents SET outcome = 'closed' WHERE closed_at IS NOT NULL;

-- The open-incident index of duplicate search follows the new open statuses.
DROP INDEX incidents_open_cell;
CREATE INDEX incidents_open_cell ON incidents (cell, created_at)
    WHERE status IN ('received', 'assessing', 'dispatching', 'active', 'controlled');

-- The supervisors' queue: every lapsed timer, until a supervisor takes it.
CREATE TABLE escalations (
    id          bigserial PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES incidents (id),
    key         text NOT NULL CHECK (key <> ''), -- the lapse's identity: a retry writes nothing new
    timer       text NOT NULL CHECK (timer <> ''),
    unit_id     text NOT NULL DEFAULT '',
    detail      text NOT NULL,
    raised_at   timestamptz NOT NULL,
    acked_by    text NOT NULL DEFAULT '',
    acked_at    timestamptz,
    CHECK ((acked_at IS NULL) = (acked_by = '')),
    UNIQUE (incident_id, key)
);

CREATE INDEX escalations_open ON escalations (raised_at, id) WHERE acked_at IS NULL;
CREATE INDEX escalations_incident ON escalations (incident_id, raised_at);

-- Joint-agency tasks: one row per agency and incident, tracked to done.
CREATE TABLE agency_tasks (
    incident_id  bigint NOT NULL REFERENCES incidents (id),
    agency       text NOT NULL CHECK (agency IN ('police', 'ems', 'gas', 'power', 'water', 'emergency_management', 'environment')),
    task         text NOT NULL CHECK (task <> ''),
    status       text NOT NULL CHECK (status IN ('requested', 'acknowledged', 'done', 'cancelled')),
    requested_at timestamptz NOT NULL,
    due_at       timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    actor        text NOT NULL DEFAULT '',
    note         text NOT NULL DEFAULT '',
    escalated_at timestamptz,
    PRIMARY KEY (incident_id, agency)
);

CREATE INDEX agency_tasks_open ON agency_tasks (due_at) WHERE status IN ('requested', 'acknowledged');

-- Consoles follow the supervisors' queue and the agency board live.
CREATE FUNCTION notify_escalation_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('fireline_changes', json_build_object(
        'kind', 'escalation', 'id', NEW.id::text, 'incident_id', NEW.incident_id)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER escalations_notify AFTER INSERT OR UPDATE ON escalations
    FOR EACH ROW EXECUTE FUNCTION notify_escalation_change();

CREATE FUNCTION notify_agency_task_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('fireline_changes', json_build_object(
        'kind', 'agency_task', 'id', NEW.agency, 'incident_id', NEW.incident_id)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER agency_tasks_notify AFTER INSERT OR UPDATE ON agency_tasks
    FOR EACH ROW EXECUTE FUNCTION notify_agency_task_change();

-- A key premises' pre-plan may assess a fire alarm from its own panel at once.
ALTER TABLE premises
    ADD COLUMN plan_type  text NOT NULL DEFAULT '',
    ADD COLUMN plan_level integer NOT NULL DEFAULT 0 CHECK (plan_level BETWEEN 0 AND 5),
    ADD CONSTRAINT premises_plan CHECK ((plan_type = '') = (plan_level = 0));
