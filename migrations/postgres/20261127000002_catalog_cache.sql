-- The last good copy of each upstream catalog, so a restart without network still has a current list.
create table ai_catalog_cache (
    -- Which catalog the row holds, e.g. `openrouter/models`.
    name text primary key,
    -- The raw JSON body of OpenRouter's `/models`, exactly as fetched.
    body text not null,
    -- When the body was fetched: UTC epoch milliseconds.
    fetched_at bigint not null
);
