-- Prompts and answers kept per call, for the integrations that opt in. Times are UTC epoch
-- milliseconds.

-- Off by default: a prompt may hold personal data the operator has not agreed to keep.
alter table ai_integrations add column capture_exchanges boolean not null default false;
-- Days a kept exchange stays before the housekeeping deletes it.
alter table ai_integrations add column capture_retention_days bigint not null default 30;

-- One row per captured call, beside its invocation row and keyed by its id. Written by the
-- telemetry writer with that row.
create table ai_invocation_exchanges (
    invocation_id text primary key,
    -- JSON list of the messages sent upstream (the rendered prompt first), at most 64 KiB;
    -- longer ones are cut and end with a truncation marker, and are then no longer JSON.
    prompt text not null,
    -- JSON of the answer as the model gave it (content, tool calls); null when the call failed
    -- before any answer. Capped like the prompt.
    answer text,
    created_at bigint not null,
    -- When the housekeeping deletes it: created_at plus the integration's retention.
    expires_at bigint not null
);
create index ai_invocation_exchanges_expiry on ai_invocation_exchanges (expires_at);
