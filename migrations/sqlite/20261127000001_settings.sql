-- Runtime settings edited from the console: one row per key.
create table ai_settings (
    key text primary key,
    -- JSON text; the gateway owns the shape of each key's value.
    value text not null,
    -- UTC epoch milliseconds.
    updated_at bigint not null
);
