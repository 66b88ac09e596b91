-- The console's invocations grid filters by integration slug (which survives the integration's
-- deletion, unlike integration_id) and lists the distinct slugs for its filter.
create index ai_invocations_slug_time on ai_invocations (integration_slug, created_at);
