-- 0017: callers' personal data is kept only for the configured retention. After it the purge
-- replaces an alarm's caller name, number, photo reference and free text with '[purged]' and
-- stamps purged_at; the alarm itself (source, type, place, times) and the incident's timeline
-- stay for the record. The timeline never held a caller's name or number: its alarm events
-- carry the alarm's id, source, type and address only.
--
-- (Versions 12 to 16 are written on other branches: migrations.Reserved.)
ALTER TABLE alarms ADD COLUMN purged_at timestamptz;

-- The purge looks for what it has not purged yet; purged rows leave this index for good.
CREATE INDEX alarms_unpurged ON alarms (incident_id, received_at) WHERE purged_at IS NULL;
