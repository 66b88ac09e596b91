//! Refreshing only when the list in use is older than the ttl, once, however many ask at once.

use std::sync::Arc;
use std::time::Duration;

use gateway::Store;
use gateway::catalog::CatalogSource;

use crate::helpers::{DAY, DEAD_URL, MODELS_JSON, Stub, catalog};

crate::on_each_engine!(
    a_fresh_list_is_not_fetched_again_within_the_ttl,
    |store: Store| async move {
        let stub = Stub::start(200, MODELS_JSON).await;
        let catalog = catalog(&store, &stub.base_url(), DAY);
        let live = catalog.refresh().await.unwrap();

        catalog.refresh_if_stale().await;
        catalog.refresh_if_stale().await;

        assert_eq!(stub.seen().len(), 1);
        assert!(Arc::ptr_eq(&live, &catalog.current()));
    }
);

crate::on_each_engine!(
    a_saved_copy_within_the_ttl_is_not_fetched_again,
    |store: Store| async move {
        let stub = Stub::start(200, MODELS_JSON).await;
        catalog(&store, &stub.base_url(), DAY)
            .refresh()
            .await
            .unwrap();

        let restarted = catalog(&store, &stub.base_url(), DAY);
        restarted.load().await;
        restarted.refresh_if_stale().await;

        assert_eq!(stub.seen().len(), 1);
        assert_eq!(restarted.current().source(), CatalogSource::Database);
    }
);

crate::on_each_engine!(
    the_bundled_list_is_replaced_on_the_first_stale_check,
    |store: Store| async move {
        let stub = Stub::start(200, MODELS_JSON).await;
        let catalog = catalog(&store, &stub.base_url(), DAY);
        catalog.load().await;
        assert_eq!(catalog.current().source(), CatalogSource::Bundled);

        catalog.refresh_if_stale().await;

        assert_eq!(stub.seen().len(), 1);
        assert_eq!(catalog.current().source(), CatalogSource::Live);
    }
);

crate::on_each_engine!(
    concurrent_stale_checks_fetch_only_once,
    |store: Store| async move {
        let stub = Stub::start(200, MODELS_JSON).await;
        let catalog = catalog(&store, &stub.base_url(), DAY);
        catalog.load().await;

        let checks = (0..16).map(|_| {
            let catalog = catalog.clone();
            tokio::spawn(async move { catalog.refresh_if_stale().await })
        });
        for check in futures::future::join_all(checks).await {
            check.unwrap();
        }

        assert_eq!(stub.seen().len(), 1);
        assert_eq!(catalog.current().source(), CatalogSource::Live);
    }
);

crate::on_each_engine!(
    a_zero_ttl_fetches_on_every_check,
    |store: Store| async move {
        let stub = Stub::start(200, MODELS_JSON).await;
        let catalog = catalog(&store, &stub.base_url(), Duration::ZERO);

        catalog.refresh_if_stale().await;
        catalog.refresh_if_stale().await;

        assert_eq!(stub.seen().len(), 2);
    }
);

crate::on_each_engine!(
    a_failed_stale_check_keeps_the_list_in_use,
    |store: Store| async move {
        let catalog = catalog(&store, DEAD_URL, DAY);
        catalog.load().await;
        let before = catalog.current();

        catalog.refresh_if_stale().await;

        assert!(Arc::ptr_eq(&before, &catalog.current()));
    }
);
