-- 0021: the public alerts (CAP 1.2) the command centre publishes about its incidents.
--
-- Each row is one message as it was sent: the first Alert, an Update, or the Cancel that ends
-- its thread. Like the timeline it is evidence of what the public was told and when, so rows
-- are only ever added. An Update or Cancel names the message it follows, and a message is
-- followed at most once, so a thread is one line and two operators updating the same alert at
-- once cannot both succeed; nothing follows a Cancel.

CREATE TABLE public_alerts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    identifier  text NOT NULL UNIQUE CHECK (identifier <> ''),
    incident_id bigint NOT NULL REFERENCES incidents (id),
    msg_type    text NOT NULL CHECK (msg_type IN ('Alert', 'Update', 'Cancel')),
    status      text NOT NULL CHECK (status IN ('Actual', 'Exercise')),
    sender      text NOT NULL CHECK (sender <> ''),
    thread      text NOT NULL,                                  -- the identifier of the thread's Alert
    follows     text UNIQUE REFERENCES public_alerts (identifier), -- NULL for an Alert
    refs        text NOT NULL DEFAULT '',                       -- the CAP references element as sent
    sent        timestamptz NOT NULL,
    expires     timestamptz NOT NULL,
    author      text NOT NULL CHECK (author <> ''),
    xml         text NOT NULL CHECK (xml <> ''),                 -- the CAP document, byte for byte
    params      jsonb NOT NULL CHECK (jsonb_typeof(params) = 'object'),
    CHECK ((msg_type = 'Alert') = (follows IS NULL)),
    CHECK (msg_type <> 'Alert' OR thread = identifier),
    CHECK (expires >= sent)
);

CREATE INDEX public_alerts_incident ON public_alerts (incident_id, id DESC);
CREATE INDEX public_alerts_thread ON public_alerts (thread, id DESC);

-- audit_log_append_only (0016) names the table it refuses to change.
CREATE TRIGGER public_alerts_append_only BEFORE UPDATE OR DELETE ON public_alerts
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER public_alerts_no_truncate BEFORE TRUNCATE ON public_alerts
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
REVOKE UPDATE, DELETE ON public_alerts FROM fireline_app;
