-- Console sessions (tower-sessions records). The admin accounts they belong to live in
-- ai_admin_users, created with the core schema. Times are UTC epoch milliseconds.

create table ai_sessions (
    -- The session id carried by the cookie (tower-sessions' base64 form).
    id text primary key,
    -- The session's key/value data as a JSON object, e.g. {"admin_id": 1}.
    data text not null,
    -- After this instant the session is dead: loads ignore it and the sweep deletes it.
    expires_at bigint not null
);
create index ai_sessions_expiry on ai_sessions (expires_at);
