-- 0024: the first recommendation is made at intake. The intake desk recommends units for a new
-- incident from the in-memory unit index the moment its first alarm is stored, and stores the
-- recommendation here, where the console reads it, while the incident's workflow is still
-- starting. The workflow takes it over as the incident's first recommendation (its timeline
-- event dated first_recommended_at) when it was made for the type and level the workflow
-- starts with and none of its units has been taken since; otherwise it recommends afresh.
ALTER TABLE incidents
    ADD COLUMN first_recommended_at    timestamptz,
    ADD COLUMN first_recommended_type  text,
    ADD COLUMN first_recommended_level smallint;
