//! The operator's knobs, each shown to change what a call does: upstream timeout, retry count
//! and backoff ceiling, max-tokens ceiling, app title, default models, catalog freshness, and
//! the switches for rate and cost limiting.

use std::time::{Duration, Instant};

use gateway::catalog::CatalogSource;
use gateway::manifest::Manifest;
use gateway::types::{NanoUsd, VersionDraft};
use gateway::{Error, Gateway, GatewayConfig};
use serde_json::json;

use crate::helpers::{TestGateway, args};

fn question() -> serde_json::Map<String, serde_json::Value> {
    args(json!({"question": "hi"}))
}

crate::on_each_engine!(
    the_upstream_timeout_ends_a_slow_call,
    config = |c: &mut GatewayConfig| c.request_timeout = Duration::from_millis(300),
    |t: TestGateway| async move {
        t.integration("slow", |_, d| {
            d.models = vec!["simulator/latency-3000".to_owned()];
        })
        .await;
        let started = Instant::now();
        let error = t.gateway.invoke("slow", question()).await.unwrap_err();
        assert!(
            matches!(&error, Error::Upstream(e) if e.class() == "timeout"),
            "{error:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        t
    }
);

crate::on_each_engine!(
    no_retries_means_one_attempt,
    config = |c: &mut GatewayConfig| c.max_retries = 0,
    |t: TestGateway| async move {
        t.integration("flaky", |_, d| {
            d.models = vec!["simulator/error-502".to_owned()];
        })
        .await;
        t.gateway.invoke("flaky", question()).await.unwrap_err();
        assert_eq!(t.rows("attempts = 1").await, 1);
        t
    }
);

crate::on_each_engine!(
    the_retry_count_and_backoff_ceiling_are_followed,
    config = |c: &mut GatewayConfig| {
        c.max_retries = 4;
        c.backoff_ceiling = Duration::from_millis(5);
    },
    |t: TestGateway| async move {
        t.integration("flaky", |_, d| {
            d.models = vec!["simulator/error-502".to_owned()];
        })
        .await;
        let started = Instant::now();
        t.gateway.invoke("flaky", question()).await.unwrap_err();
        // Four pauses of at most 5 ms; the default ceiling would allow up to 3 s.
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(t.rows("attempts = 5").await, 1);
        t
    }
);

crate::on_each_engine!(
    the_max_tokens_ceiling_cuts_the_answer,
    config = |c: &mut GatewayConfig| c.max_tokens_ceiling = 3,
    |t: TestGateway| async move {
        t.integration("capped", |_, _| {}).await;
        let answer = t
            .gateway
            .invoke(
                "capped",
                args(json!({"question": "a long question with many words"})),
            )
            .await
            .unwrap();
        assert_eq!(answer.finish_reason.as_deref(), Some("length"));
        assert!(answer.usage.completion_tokens <= 3, "{:?}", answer.usage);
        t
    }
);

crate::on_each_engine!(
    the_app_title_is_sent_as_x_title,
    config = |c: &mut GatewayConfig| c.app_title = Some("Ops Console".to_owned()),
    |t: TestGateway| async move {
        t.integration("titled", |_, _| {}).await;
        t.gateway.invoke("titled", question()).await.unwrap();
        let seen = t.simulator.seen_requests();
        assert_eq!(seen.last().unwrap().title.as_deref(), Some("Ops Console"));
        t
    }
);

crate::on_each_engine!(
    without_a_title_none_is_sent,
    config = |c: &mut GatewayConfig| c.app_title = None,
    |t: TestGateway| async move {
        t.integration("untitled", |_, _| {}).await;
        t.gateway.invoke("untitled", question()).await.unwrap();
        assert_eq!(t.simulator.seen_requests().last().unwrap().title, None);
        t
    }
);

const DEFAULT_MODELS: [&str; 2] = ["anthropic/claude-sonnet-4", "openai/gpt-4o-mini"];

crate::on_each_engine!(
    new_integrations_start_with_the_default_models,
    config = |c: &mut GatewayConfig| {
        c.default_models = DEFAULT_MODELS.map(String::from).to_vec();
    },
    |t: TestGateway| async move {
        // The console's new-integration form.
        let form = t.gateway.editor_data(None, None).await.unwrap();
        assert_eq!(form.draft.models, DEFAULT_MODELS);
        // Created from Rust without models.
        t.integration("bare", |_, d| d.models.clear()).await;
        let live = t.gateway.snapshot();
        let bare = live.integration("bare").unwrap();
        assert_eq!(bare.version.draft.models, DEFAULT_MODELS);
        // Applied from Rust without models; a model given is kept. (A JSON document must name
        // its models: `from_json` reports an empty list with every other problem at once.)
        let mut document = Manifest::from_json(
            &json!({"integrations": [
                manifest_entry("from-file", &["openai/gpt-4o"]),
                manifest_entry("chosen", &["openai/gpt-4o"]),
            ]})
            .to_string(),
        )
        .unwrap();
        document.integrations[0].version.models.clear();
        t.gateway.apply_integrations(&document, None).await.unwrap();
        let live = t.gateway.snapshot();
        assert_eq!(
            live.integration("from-file").unwrap().version.draft.models,
            DEFAULT_MODELS
        );
        assert_eq!(
            live.integration("chosen").unwrap().version.draft.models,
            ["openai/gpt-4o"]
        );
        t
    }
);

crate::on_each_engine!(
    without_default_models_a_model_is_required,
    |t: TestGateway| async move {
        let form = t.gateway.editor_data(None, None).await.unwrap();
        assert!(form.draft.models.is_empty());
        let error = t
            .gateway
            .create_integration(
                &gateway::test_support::sample_fields("bare"),
                &VersionDraft {
                    models: Vec::new(),
                    ..gateway::test_support::sample_draft()
                },
                None,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&error, Error::Invalid(e) if e.contains("models")),
            "{error:?}"
        );
        t
    }
);

fn manifest_entry(slug: &str, models: &[&str]) -> serde_json::Value {
    json!({
        "slug": slug, "name": slug, "description": null, "active": true,
        "visibility": "internal", "conversational": false, "conversation_ttl_minutes": null,
        "rate_limit_per_minute": null, "daily_cap": null, "supports_vision": false,
        "supports_tools": false,
        "version": {
            "prompt_template": "Say hi", "cacheable": false, "models": models,
            "default_params": {}, "variables": [], "server_tools": {}, "notes": null
        }
    })
}

crate::on_each_engine!(
    rate_limiting_can_be_switched_off,
    config = |c: &mut GatewayConfig| c.rate_limiting = false,
    |t: TestGateway| async move {
        t.integration("limited", |f, _| f.rate_limit_per_minute = Some(1))
            .await;
        for _ in 0..3 {
            t.gateway.invoke("limited", question()).await.unwrap();
        }
        t
    }
);

crate::on_each_engine!(
    rate_limiting_is_on_by_default,
    |t: TestGateway| async move {
        t.integration("limited", |f, _| f.rate_limit_per_minute = Some(1))
            .await;
        t.gateway.invoke("limited", question()).await.unwrap();
        let error = t.gateway.invoke("limited", question()).await.unwrap_err();
        assert!(matches!(error, Error::RateLimited { .. }), "{error:?}");
        t
    }
);

crate::on_each_engine!(
    cost_limiting_can_be_switched_off,
    config = |c: &mut GatewayConfig| c.cost_limiting = false,
    |t: TestGateway| async move {
        t.integration("capped", |f, _| f.daily_cap = Some(NanoUsd(1)))
            .await;
        for _ in 0..2 {
            t.gateway.invoke("capped", question()).await.unwrap();
        }
        // Spend is still counted while caps are not enforced.
        assert!(t.gateway.spent_today(capped_id(&t.gateway)).await.unwrap() > NanoUsd::ZERO);
        t
    }
);

crate::on_each_engine!(
    cost_limiting_is_on_by_default,
    |t: TestGateway| async move {
        t.integration("capped", |f, _| f.daily_cap = Some(NanoUsd(1)))
            .await;
        let error = t.gateway.invoke("capped", question()).await.unwrap_err();
        assert!(matches!(error, Error::BudgetExceeded { .. }), "{error:?}");
        t
    }
);

fn capped_id(gateway: &Gateway) -> i64 {
    gateway
        .snapshot()
        .integration("capped")
        .unwrap()
        .integration
        .id
}

/// Waits up to five seconds for the catalog in use to come from `source`.
async fn catalog_from(gateway: &Gateway, source: CatalogSource) -> bool {
    for _ in 0..100 {
        if gateway.catalog().current().source() == source {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

crate::on_each_engine!(
    the_catalog_is_fetched_at_start_only_when_asked_and_stale,
    |t: TestGateway| async move {
        // The default: no fetch at start, the bundled list stays in use.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            t.gateway.catalog().current().source(),
            CatalogSource::Bundled
        );

        let node = |ttl: Duration| {
            let mut config = GatewayConfig::new(t.database.url(), t.simulator.base_url());
            config.openrouter_api_key = Some("test-key".to_owned());
            config.catalog_refresh_at_start = true;
            config.catalog_ttl = ttl;
            Gateway::new(config)
        };
        // Asked to: the stale bundled list is replaced by a fetch, which is saved.
        let first = node(Duration::from_secs(3600)).await.unwrap();
        assert!(catalog_from(&first, CatalogSource::Live).await);
        first.close().await;
        // The saved copy is fresh within an hour: no fetch.
        let second = node(Duration::from_secs(3600)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(second.catalog().current().source(), CatalogSource::Database);
        second.close().await;
        // With a TTL of a millisecond the same copy is stale: fetched again.
        let third = node(Duration::from_millis(1)).await.unwrap();
        assert!(catalog_from(&third, CatalogSource::Live).await);
        third.close().await;
        t
    }
);
