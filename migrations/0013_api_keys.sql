-- 0013: the alarm sources' API keys.
--
-- A gateway (a panel network, the lamp-post buttons, the public app, a CAP feed) signs its
-- requests with a key of its own instead of a shared login: a key posts only its source's
-- alarms, optionally only source ids beginning with its prefix, and is revoked alone. Only the
-- SHA-256 of the secret is kept; the secret is shown once, when the key is created. A revoked
-- key stays, as the evidence of who could post what and when.

CREATE TABLE api_keys (
    id               bigserial PRIMARY KEY,
    name             text NOT NULL CHECK (btrim(name) <> '' AND char_length(name) <= 64),
    source           text NOT NULL CHECK (source IN ('iot', 'lamppost', 'public', 'cap')),
    source_id_prefix text NOT NULL DEFAULT '' CHECK (char_length(source_id_prefix) <= 128),
    secret_sha256    bytea NOT NULL UNIQUE CHECK (length(secret_sha256) = 32),
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       text NOT NULL CHECK (created_by <> ''),
    revoked_at       timestamptz,
    revoked_by       text,
    last_used_at     timestamptz,
    CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);

-- A name says which gateway holds a key: two live keys may not share one.
CREATE UNIQUE INDEX api_keys_live_name ON api_keys (name) WHERE revoked_at IS NULL;
