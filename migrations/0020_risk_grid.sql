-- 0020: the fire-risk grid. A scheduled run scores every resolution-7 cell from its incident
-- history and its key premises and stores the result here; the warnings in force are joined
-- when the grid is read (from warning_cells), so the layer follows a CAP warning's arrival and
-- expiry at once rather than at the next run.

-- One row per run: when it ran, over what look-back, how many cells it stored. The newest row
-- is the grid's age; its insertion announces the new grid to every console.
CREATE TABLE risk_runs (
    id          bigserial PRIMARY KEY,
    computed_at timestamptz NOT NULL,
    look_back   interval NOT NULL,
    cells       integer NOT NULL CHECK (cells >= 0),
    finished_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX risk_runs_newest ON risk_runs (computed_at DESC, id DESC);

-- The last run's cells: the history and premises factors with the values behind them, and the
-- score they make (without the warnings, which are read live).
CREATE TABLE risk_cells (
    cell        text PRIMARY KEY CHECK (cell <> ''),  -- resolution-7 H3 cell, hex
    score       double precision NOT NULL CHECK (score >= 0),
    factors     jsonb NOT NULL CHECK (jsonb_typeof(factors) = 'array'),
    computed_at timestamptz NOT NULL,
    run_id      bigint NOT NULL REFERENCES risk_runs (id)
);

-- Consoles redraw the risk layer when a run stores a new grid.
CREATE FUNCTION notify_risk_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('fireline_changes', json_build_object(
        'kind', 'risk', 'id', NEW.id::text, 'incident_id', 0)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER risk_runs_notify AFTER INSERT ON risk_runs
    FOR EACH ROW EXECUTE FUNCTION notify_risk_run();

-- The history counts read incidents by cell and time.
CREATE INDEX incidents_cell_created ON incidents (cell, created_at);
