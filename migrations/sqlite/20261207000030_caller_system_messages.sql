-- Whether callers may add their own system / developer messages after an integration's
-- rendered prompt (1, the default) or are refused with a field error naming this setting (0).
alter table ai_integrations add column allow_system_messages integer not null default 1;
