-- Identity: users become managed data (disabled accounts, password changes), sessions carry
-- what an administrator needs to recognise and revoke them, and failed logins are counted in
-- the database so that a lock-out holds on every API node.

ALTER TABLE users
    ADD COLUMN disabled            boolean     NOT NULL DEFAULT false,
    ADD COLUMN created_at          timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN password_changed_at timestamptz NOT NULL DEFAULT now();

-- A session's id names it to administrators without revealing its token; last_seen is coarse
-- (updated at most once a minute) so that reading a session does not write on every request.
ALTER TABLE sessions
    ADD COLUMN id          bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    ADD COLUMN last_seen   timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN remote_addr text NOT NULL DEFAULT '',
    ADD COLUMN user_agent  text NOT NULL DEFAULT '';

-- Consecutive failed logins per username, whether or not the user exists: counting only real
-- users would tell an attacker which names exist by which ones lock. A successful login
-- deletes the row; rows of names nobody has tried for a day are swept on later failures.
CREATE TABLE login_failures (
    username     text PRIMARY KEY,
    failures     integer     NOT NULL CHECK (failures > 0),
    last_failure timestamptz NOT NULL,
    locked_until timestamptz
);

CREATE INDEX login_failures_last ON login_failures (last_failure);
