//! Integrations as code: exporting the registry as a document and applying documents back.

use gateway::Error;
use gateway::manifest::{Entry, Manifest};
use gateway::types::FieldErrors;

use crate::helpers::{TestGateway, args, draft, fields};

fn entry(slug: &str) -> Entry {
    Entry {
        fields: fields(slug),
        version: draft(),
    }
}

/// Applies `document` and returns its report, a line per slug.
async fn apply(t: &TestGateway, document: &Manifest) -> Vec<String> {
    t.gateway
        .apply_integrations(document, Some("ci"))
        .await
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect()
}

async fn version_numbers(t: &TestGateway, slug: &str) -> Vec<(i32, bool)> {
    let integration = gateway::integrations::find_by_slug(t.gateway.store(), slug)
        .await
        .unwrap()
        .unwrap();
    gateway::versions::list(t.gateway.store(), integration.id)
        .await
        .unwrap()
        .iter()
        .map(|v| (v.number, v.active))
        .collect()
}

async fn slugs(t: &TestGateway) -> Vec<String> {
    gateway::integrations::list(t.gateway.store())
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.fields.slug)
        .collect()
}

fn invalid(error: Error) -> FieldErrors {
    match error {
        Error::Invalid(errors) => errors,
        other => panic!("expected field errors, got {other:?}"),
    }
}

crate::on_each_engine!(
    applying_an_export_to_the_same_deployment_changes_nothing,
    |t: TestGateway| async move {
        t.integration("summaries", |_, _| {}).await;
        t.integration("triage", |fields, draft| {
            fields.name = "  Ticket triage  ".to_owned();
            fields.rate_limit_per_minute = Some(12);
            draft.notes = Some("first cut".to_owned());
        })
        .await;
        let exported = t.gateway.export_integrations(&[]).await.unwrap();
        let document = Manifest::from_json(&exported.to_json_pretty()).unwrap();

        let report = apply(&t, &document).await;

        assert_eq!(report, ["summaries: unchanged", "triage: unchanged"]);
        assert_eq!(version_numbers(&t, "triage").await, [(1, true)]);
        t
    }
);

crate::on_each_engine!(
    applying_creates_missing_integrations_callable_at_once,
    |t: TestGateway| async move {
        t.integration("existing", |_, _| {}).await;
        let document = Manifest {
            integrations: vec![entry("existing"), entry("fresh")],
        };

        let report = apply(&t, &document).await;

        assert_eq!(
            report,
            ["existing: unchanged", "fresh: created (version 1)"]
        );
        let answer = t
            .gateway
            .invoke("fresh", args(serde_json::json!({"question": "Hi?"})))
            .await
            .unwrap();
        assert!(!answer.text.is_empty());
        t
    }
);

crate::on_each_engine!(
    a_changed_prompt_mints_exactly_one_version_and_activates_it,
    |t: TestGateway| async move {
        t.integration("summaries", |_, _| {}).await;
        let mut document = t
            .gateway
            .export_integrations(&["summaries".to_owned()])
            .await
            .unwrap();
        document.integrations[0].version.prompt_template = "Briefly: {{ question }}".to_owned();
        document.integrations[0].fields.rate_limit_per_minute = Some(5);

        let report = apply(&t, &document).await;
        let again = apply(&t, &document).await;

        assert_eq!(report, ["summaries: updated (fields, new version v2)"]);
        assert_eq!(again, ["summaries: unchanged"]);
        assert_eq!(
            version_numbers(&t, "summaries").await,
            [(2, true), (1, false)]
        );
        let snapshot = t.gateway.snapshot();
        let live = snapshot.integration("summaries").unwrap();
        assert_eq!(
            live.version.draft.prompt_template,
            "Briefly: {{ question }}"
        );
        assert_eq!(live.integration.fields.rate_limit_per_minute, Some(5));
        t
    }
);

crate::on_each_engine!(
    an_invalid_entry_among_valid_ones_writes_nothing_and_names_every_error,
    |t: TestGateway| async move {
        t.integration("kept", |_, _| {}).await;
        let mut changed = entry("kept");
        changed.version.prompt_template = "Changed: {{ question }}".to_owned();
        let mut broken = entry("Broken Slug");
        broken.version.models.clear();
        let document = Manifest {
            integrations: vec![entry("fresh"), changed, broken],
        };

        let errors = invalid(
            t.gateway
                .apply_integrations(&document, None)
                .await
                .unwrap_err(),
        );

        for field in ["integrations[2].slug", "integrations[2].version.models"] {
            assert!(errors.contains(field), "{field} missing from {errors:?}");
        }
        assert_eq!(errors.0.len(), 2, "{errors:?}");
        assert_eq!(slugs(&t).await, ["kept"]);
        assert_eq!(version_numbers(&t, "kept").await, [(1, true)]);
        t
    }
);

crate::on_each_engine!(
    a_slug_twice_in_one_document_is_a_field_error,
    |t: TestGateway| async move {
        let document = Manifest {
            integrations: vec![entry("twice"), entry("other"), entry("twice")],
        };

        let errors = invalid(
            t.gateway
                .apply_integrations(&document, None)
                .await
                .unwrap_err(),
        );

        assert!(errors.contains("integrations[2].slug"), "{errors:?}");
        assert!(slugs(&t).await.is_empty());
        t
    }
);

crate::on_each_engine!(
    exporting_named_slugs_keeps_only_those_and_an_unknown_one_is_named,
    |t: TestGateway| async move {
        t.integration("alpha", |_, _| {}).await;
        t.integration("beta", |_, _| {}).await;

        let only_beta = t
            .gateway
            .export_integrations(&["beta".to_owned()])
            .await
            .unwrap();
        let error = t
            .gateway
            .export_integrations(&["beta".to_owned(), "gamma".to_owned()])
            .await
            .unwrap_err();

        assert_eq!(only_beta.integrations.len(), 1);
        assert_eq!(only_beta.integrations[0].fields.slug, "beta");
        assert_eq!(only_beta.integrations[0].version, draft());
        assert!(invalid(error).summary().contains("\"gamma\""));
        t
    }
);

crate::on_each_engine!(
    what_callers_may_send_is_exported_and_applied,
    |t: TestGateway| async move {
        let mut wanted = entry("vision");
        wanted.fields.supports_vision = true;
        wanted.fields.supports_tools = true;
        wanted.fields.allow_system_messages = false;
        let text = Manifest {
            integrations: vec![wanted],
        }
        .to_json_pretty();
        assert!(text.contains("\"allow_system_messages\": false"), "{text}");
        apply(&t, &Manifest::from_json(&text).unwrap()).await;

        let exported = t.gateway.export_integrations(&[]).await.unwrap();
        let fields = &exported.integrations[0].fields;
        assert!(fields.supports_vision && fields.supports_tools);
        assert!(!fields.allow_system_messages);

        // A document written before the setting existed keeps callers' system messages allowed.
        let older = text.replace("\"allow_system_messages\": false,", "");
        let older = Manifest::from_json(&older).unwrap();
        assert!(older.integrations[0].fields.allow_system_messages);
        assert_eq!(apply(&t, &older).await, ["vision: updated (fields)"]);
        t
    }
);
