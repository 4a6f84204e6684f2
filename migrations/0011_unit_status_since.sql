-- 0011: since when each unit has been in its status, and a read of the units changed since a
-- moment.
--
-- The console shows every unit's time in its current status against per-status thresholds;
-- updated_at moves with every AVL fix, so it cannot say. status_since moves only when the status
-- does, set by a trigger so that no writer of units can forget it.
ALTER TABLE units ADD COLUMN status_since timestamptz;

-- Existing units: the unit's latest history entry when it is of the status the unit is in,
-- else the last write to the unit (an upper bound: the status is at least that old).
UPDATE units u SET status_since = coalesce(
    (SELECT e.at FROM (SELECT at, status FROM unit_events WHERE unit_id = u.id ORDER BY at DESC, id DESC LIMIT 1) e
     WHERE e.status = u.status),
    u.updated_at);

ALTER TABLE units
    ALTER COLUMN status_since SET DEFAULT now(),
    ALTER COLUMN status_since SET NOT NULL;

CREATE FUNCTION units_status_since() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        NEW.status_since := now();
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER units_status_since BEFORE UPDATE OF status ON units
    FOR EACH ROW EXECUTE FUNCTION units_status_since();

-- GET /units?updated_since=…: the console follows hundreds of moving units by asking for the
-- ones changed since its last read instead of all of them on every change notice.
CREATE INDEX units_updated_at ON units (updated_at);
