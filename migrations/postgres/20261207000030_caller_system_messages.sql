-- Whether callers may add their own system / developer messages after an integration's
-- rendered prompt (true, the default) or are refused with a field error naming this setting.
alter table ai_integrations add column allow_system_messages boolean not null default true;
