-- 0008: the media nodes (serve --roles media) and the incident rooms they hold. A node
-- registers its public URL and beats every few seconds; a room goes to the least loaded live
-- node on its first publish and stays there while that node lives. Both tables are
-- operational state, not history: a node's row goes when it stops, a room's when its incident
-- closes.

CREATE TABLE media_nodes (
    id           text PRIMARY KEY CHECK (id <> ''),
    -- Where clients reach it: scheme, host and port; WHIP and WHEP are under it.
    url          text NOT NULL CHECK (url ~ '^https?://[^/]+$'),
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    -- Its load at the last heartbeat.
    publishers   integer NOT NULL DEFAULT 0 CHECK (publishers >= 0),
    viewers      integer NOT NULL DEFAULT 0 CHECK (viewers >= 0)
);

-- No foreign key to incidents: a room exists only while its incident is open (the API checks
-- that before assigning one), and its row must never hold up anything done to an incident.
CREATE TABLE media_rooms (
    incident_id bigint PRIMARY KEY,
    node_id     text NOT NULL REFERENCES media_nodes (id) ON DELETE CASCADE,
    assigned_at timestamptz NOT NULL DEFAULT now(),
    -- The room's live streams with their statistics, as the node last reported them (JSON
    -- array), for API nodes that do not hold the room.
    streams     jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(streams) = 'array'),
    reported_at timestamptz
);

CREATE INDEX media_rooms_node ON media_rooms (node_id);
