-- 0009: the incident projection holds everything the console shows, so an incident reads in
-- full from PostgreSQL with the workflow engine down: the alternates and the plan slots no unit
-- could fill beside the recommendation, the units offered in place of silent ones, the first
-- assessment (when, and who it counts as), and a PAR that is due. The timeline records when
-- each event was written, so a reader can say how fresh the projection is.

ALTER TABLE incidents
    ADD COLUMN alternates   jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(alternates) = 'array'),
    -- Plan slots no available unit could fill: [{"type": ..., "count": ...}].
    ADD COLUMN short        jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(short) = 'array'),
    -- Units recommended in place of units that did not acknowledge, each with "replaces"; an
    -- offer leaves when its unit is dispatched or the silent unit reports after all.
    ADD COLUMN replacements jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(replacements) = 'array'),
    -- The first assessment: a later reassessment changes type, level and priority, not these.
    -- assessed_by is an operator, 'pre-plan' or 'dispatch'.
    ADD COLUMN assessed_at  timestamptz,
    ADD COLUMN assessed_by  text NOT NULL DEFAULT '',
    -- When the pending personnel accountability report fell due; NULL when none is pending.
    ADD COLUMN par_due_at   timestamptz;

-- When the event was written (not when it happened: that is "at"). Rows from before this
-- migration have none rather than the migration's time.
ALTER TABLE incident_events ADD COLUMN recorded_at timestamptz;
ALTER TABLE incident_events ALTER COLUMN recorded_at SET DEFAULT now();

-- Incidents already running take what their timelines recorded. The alternates were never
-- recorded: they come with the incident's next recommendation.
UPDATE incidents i SET assessed_at = e.at,
    assessed_by = CASE WHEN e.detail LIKE 'assessed at dispatch%' THEN 'dispatch' ELSE e.actor END
FROM (SELECT DISTINCT ON (incident_id) incident_id, at, actor, detail FROM incident_events
      WHERE kind = 'assessed' ORDER BY incident_id, at, id) e
WHERE e.incident_id = i.id;

UPDATE incidents i SET short = e.data->'short'
FROM (SELECT DISTINCT ON (incident_id) incident_id, data FROM incident_events
      WHERE kind = 'recommended' ORDER BY incident_id, at DESC, id DESC) e
WHERE e.incident_id = i.id AND jsonb_typeof(e.data->'short') = 'array';

UPDATE incidents i SET par_due_at = e.at
FROM (SELECT DISTINCT ON (incident_id) incident_id, key, at FROM incident_events
      WHERE kind = 'par' ORDER BY incident_id, at DESC, id DESC) e
WHERE e.incident_id = i.id AND e.key LIKE 'par:%:due'
    AND i.status IN ('received', 'assessing', 'dispatching', 'active', 'controlled');

-- Replacement offers not taken yet. Events written before this migration name the unit, the
-- silent unit and the ETA only; the offer is rebuilt from those and the unit's record.
UPDATE incidents i SET replacements = r.list
FROM (SELECT e.incident_id, jsonb_agg(
            CASE WHEN jsonb_typeof(e.data->'recommendation') = 'object' THEN e.data->'recommendation'
            ELSE jsonb_build_object('unit_id', e.data->>'unit', 'type', coalesce(u.type, ''),
                'eta_s', coalesce((e.data->>'eta_s')::double precision, 0), 'distance_m', 0,
                'station_id', coalesce(u.station_id, ''), 'model', '', 'position_source', 'station',
                'position_stale', false, 'reason', 'recommended in place of ' || (e.data->>'replaces'),
                'replaces', e.data->>'replaces') END
            ORDER BY e.at, e.id) AS list
      FROM incident_events e
      LEFT JOIN units u ON u.id = coalesce(e.data->'recommendation'->>'unit_id', e.data->>'unit')
      WHERE e.kind = 'replacement_recommended'
        AND (jsonb_typeof(e.data->'recommendation') = 'object' OR jsonb_typeof(e.data->'unit') = 'string')
        AND NOT EXISTS (SELECT FROM incident_events d WHERE d.incident_id = e.incident_id AND d.id > e.id AND (
            (d.kind IN ('dispatched', 'reinforced')
                AND d.data->'units' ? coalesce(e.data->'recommendation'->>'unit_id', e.data->>'unit'))
            OR (d.kind = 'unit_status'
                AND d.unit_id = coalesce(e.data->'recommendation'->>'replaces', e.data->>'replaces'))))
      GROUP BY e.incident_id) r
WHERE r.incident_id = i.id
    AND i.status IN ('received', 'assessing', 'dispatching', 'active', 'controlled');
