//! Refreshing from upstream: a good answer goes live and is saved; anything else changes nothing.

use std::sync::Arc;

use gateway::Store;
use gateway::catalog::{CatalogError, CatalogSource};

use crate::helpers::{DAY, DEAD_URL, MODELS_JSON, Stub, catalog, catalog_with_key, simulator};

crate::on_each_engine!(
    a_refresh_from_the_simulator_puts_the_live_list_in_use,
    |store: Store| async move {
        let simulator = simulator().await;
        let catalog = catalog(&store, &simulator.base_url(), DAY);
        catalog.load().await;

        let refreshed = catalog.refresh().await.unwrap();
        assert_eq!(refreshed.source(), CatalogSource::Live);
        assert_eq!(refreshed.models().len(), 400);
        assert!(refreshed.fetched_at_ms() > 0);
        assert!(Arc::ptr_eq(&refreshed, &catalog.current()));
        simulator.stop().await;
    }
);

crate::on_each_engine!(
    an_unreachable_upstream_keeps_the_last_good_list,
    |store: Store| async move {
        let simulator = simulator().await;
        catalog(&store, &simulator.base_url(), DAY)
            .refresh()
            .await
            .unwrap();
        simulator.stop().await;

        let offline = catalog(&store, DEAD_URL, DAY);
        offline.load().await;
        let good = offline.current();
        assert_eq!(good.source(), CatalogSource::Database);

        let error = offline.refresh().await.unwrap_err();
        assert!(matches!(error, CatalogError::Fetch(_)), "{error}");
        assert!(Arc::ptr_eq(&good, &offline.current()));

        // The saved copy survives the failure as well.
        let restarted = catalog(&store, DEAD_URL, DAY);
        restarted.load().await;
        assert_eq!(restarted.current().source(), CatalogSource::Database);
        assert_eq!(restarted.current().models(), good.models());
    }
);

crate::on_each_engine!(
    an_error_status_is_reported_and_changes_nothing,
    |store: Store| async move {
        let stub = Stub::start(503, r#"{"error":{"code":503,"message":"down"}}"#).await;
        let catalog = catalog(&store, &stub.base_url(), DAY);
        catalog.load().await;
        let before = catalog.current();

        let error = catalog.refresh().await.unwrap_err();
        assert!(matches!(error, CatalogError::Status(503)), "{error}");
        assert!(Arc::ptr_eq(&before, &catalog.current()));
    }
);

crate::on_each_engine!(
    an_empty_model_list_is_refused_and_not_saved,
    |store: Store| async move {
        let stub = Stub::start(200, r#"{"data": [], "total_count": 0}"#).await;
        let catalog = catalog(&store, &stub.base_url(), DAY);
        catalog.load().await;

        let error = catalog.refresh().await.unwrap_err();
        assert!(matches!(error, CatalogError::Empty), "{error}");
        assert_eq!(catalog.current().source(), CatalogSource::Bundled);
        assert_eq!(catalog.current().models().len(), 400);

        let restarted = crate::helpers::catalog(&store, DEAD_URL, DAY);
        restarted.load().await;
        assert_eq!(restarted.current().source(), CatalogSource::Bundled);
    }
);

crate::on_each_engine!(
    a_body_that_is_not_a_model_list_is_refused,
    |store: Store| async move {
        let stub = Stub::start(200, "<html>maintenance</html>").await;
        let catalog = catalog(&store, &stub.base_url(), DAY);
        catalog.load().await;

        let error = catalog.refresh().await.unwrap_err();
        assert!(matches!(error, CatalogError::Parse(_)), "{error}");
        assert_eq!(catalog.current().source(), CatalogSource::Bundled);
    }
);

crate::on_each_engine!(
    the_api_key_is_sent_as_a_bearer_token_only_when_set,
    |store: Store| async move {
        let stub = Stub::start(200, MODELS_JSON).await;
        let with_slash = format!("{}/", stub.base_url());

        catalog_with_key(&store, &with_slash, Some("sk-or-test"), DAY)
            .refresh()
            .await
            .unwrap();
        catalog(&store, &with_slash, DAY).refresh().await.unwrap();

        let seen = stub.seen();
        assert_eq!(seen.len(), 2);
        assert!(seen.iter().all(|request| request.path == "/api/v1/models"));
        assert_eq!(seen[0].authorization.as_deref(), Some("Bearer sk-or-test"));
        assert_eq!(seen[1].authorization, None);
    }
);
