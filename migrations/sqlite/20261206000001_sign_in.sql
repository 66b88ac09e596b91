-- Sign-in that holds under concurrency: admin ids are never reused, session ids are stored
-- hashed and tied to their admin, and failed sign-ins are counted where every node and the
-- `unlock` command see them. Times are UTC epoch milliseconds.

-- Sessions stored before this migration carry their id in clear; they are dropped rather than
-- rehashed, so everyone signs in once more.
drop table ai_sessions;

-- Rebuilt with AUTOINCREMENT: a plain integer primary key hands the highest id to the next row
-- once its holder is deleted, and a deleted admin's id must never name another admin.
create table ai_admin_users_rebuilt (
    id integer primary key autoincrement,
    email text not null unique,
    -- argon2id PHC string.
    password_hash text not null,
    created_at bigint not null,
    last_login_at bigint
);
insert into ai_admin_users_rebuilt (id, email, password_hash, created_at, last_login_at)
    select id, email, password_hash, created_at, last_login_at from ai_admin_users;
drop table ai_admin_users;
alter table ai_admin_users_rebuilt rename to ai_admin_users;

-- Console sessions (tower-sessions records).
create table ai_sessions (
    -- SHA-256 (hex) of the session id the cookie carries: the table holds no usable cookie.
    id_hash text primary key,
    -- The admin signed in with this session (null before sign-in); deleting the admin deletes
    -- its sessions.
    admin_id bigint references ai_admin_users (id) on delete cascade,
    -- The session's key/value data as a JSON object, e.g. {"admin_id": 1}.
    data text not null,
    -- After this instant the session is dead: loads ignore it and the sweep deletes it.
    expires_at bigint not null
);
create index ai_sessions_expiry on ai_sessions (expires_at);
create index ai_sessions_admin on ai_sessions (admin_id);

-- Sign-in attempts (console and API docs) counted per key within a window. An attempt is
-- counted before its password is checked and taken back when it succeeds.
create table ai_login_throttle (
    -- 'pair <address> <account>', 'account <account>' or 'address <address>'.
    key text primary key,
    -- The account counted (a lower-case email, or the API docs' user); null for address keys.
    account text,
    -- The client address counted (IPv6 by its /64 network); null for account keys.
    address text,
    -- Attempts counted in the window that have not succeeded (those in flight included).
    failures bigint not null,
    -- When the window ends: the key is open again and the sweep deletes the row.
    window_ends_at bigint not null
);
create index ai_login_throttle_window on ai_login_throttle (window_ends_at);
