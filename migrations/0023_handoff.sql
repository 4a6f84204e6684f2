-- 0023: an alarm stored is an alarm started, even when the workflow engine did not answer.
-- The intake desk stores an alarm, then hands it to its incident's workflow; handed_off_at
-- records that the hand-off succeeded. An alarm that opened or joined an incident and has no
-- handed_off_at is still owed to its workflow: the worker nodes' starter takes it from the
-- partial index below and hands it on, so the source may be answered once the alarm is stored.
-- stored_at is the database's clock when the alarm was stored (received_at may be the
-- source's): the starter leaves an alarm to the desk that stored it for a few seconds.
ALTER TABLE alarms
    ADD COLUMN handed_off_at timestamptz,
    ADD COLUMN stored_at     timestamptz NOT NULL DEFAULT now();

-- Every alarm stored before this migration was handed off when it was received (the desk
-- answered only after), so none of them is owed.
UPDATE alarms SET handed_off_at = received_at WHERE incident_id IS NOT NULL;

-- The queue of alarms awaiting their hand-off: small, since an alarm stays in it only while
-- the engine is away.
CREATE INDEX alarms_awaiting_handoff ON alarms (id) WHERE handed_off_at IS NULL AND incident_id IS NOT NULL;
