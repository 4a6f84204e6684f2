-- 0018: sign-in through the centre's directory (OpenID Connect).
--
-- A directory user is a row of users like any other, so sessions, roles and the audit trail
-- work for it unchanged. The issuer and subject that vouch for it are kept with it: a later
-- sign-in must come from the same identity, and a name held by a local user (with a password)
-- can never be taken over by whoever the directory calls by that name. A directory user has no
-- password: its password_hash holds a value no bcrypt hash equals.
ALTER TABLE users
    ADD COLUMN directory_issuer  text CHECK (directory_issuer <> ''),
    ADD COLUMN directory_subject text CHECK (directory_subject <> ''),
    ADD CONSTRAINT users_directory_pair CHECK ((directory_issuer IS NULL) = (directory_subject IS NULL));

CREATE UNIQUE INDEX users_directory_identity ON users (directory_issuer, directory_subject)
    WHERE directory_issuer IS NOT NULL;
