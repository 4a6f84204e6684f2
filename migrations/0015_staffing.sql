-- 0015: minimum staffing of units and the duty roster (值班).
--
-- min_staff is the seats that must be filled for a unit to respond; NULL means the default of
-- the unit's type, which the application holds (fireline.DefaultMinStaff), so one rule lives in
-- one place. required_qualifications are what somebody on duty must hold.
ALTER TABLE units
    ADD COLUMN min_staff smallint CHECK (min_staff BETWEEN 0 AND 12),
    ADD COLUMN required_qualifications text[] NOT NULL DEFAULT '{}';

-- One person on duty on one unit for one shift, starts_at included, ends_at excluded. Ending a
-- shift early moves ends_at; an entry is never deleted once its shift has begun, so the roster
-- says afterwards who crewed a unit at an incident. Every change also touches the unit
-- (units.updated_at), whose trigger announces it on the change feed.
CREATE TABLE roster (
    id             bigserial PRIMARY KEY,
    unit_id        text NOT NULL REFERENCES units (id),
    name           text NOT NULL CHECK (name <> ''),
    username       text NOT NULL DEFAULT '',
    qualifications text[] NOT NULL DEFAULT '{}',
    starts_at      timestamptz NOT NULL,
    ends_at        timestamptz NOT NULL,
    created_by     text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);

-- A unit's shifts that have not ended: read with every unit.
CREATE INDEX roster_unit_ends ON roster (unit_id, ends_at);
-- Who is on duty at a moment, across units.
CREATE INDEX roster_ends ON roster (ends_at, starts_at);
