//! Startup: the saved copy of the last good fetch wins over the bundled list.

use std::sync::Arc;

use gateway::Store;
use gateway::catalog::CatalogSource;

use crate::helpers::{DAY, DEAD_URL, catalog, simulator};

crate::on_each_engine!(
    an_empty_database_loads_the_bundled_list,
    |store: Store| async move {
        let catalog = catalog(&store, DEAD_URL, DAY);
        catalog.load().await;

        let snapshot = catalog.current();
        assert_eq!(snapshot.source(), CatalogSource::Bundled);
        assert_eq!(snapshot.models().len(), 400);
        assert_eq!(snapshot.fetched_at_ms(), 0);
        assert_eq!(
            catalog.find("openai/gpt-4o-mini").unwrap().context_length,
            Some(128_000)
        );
    }
);

crate::on_each_engine!(
    a_new_catalog_on_the_same_database_loads_the_saved_copy,
    |store: Store| async move {
        let simulator = simulator().await;
        let live = catalog(&store, &simulator.base_url(), DAY)
            .refresh()
            .await
            .unwrap();

        let restarted = catalog(&store, DEAD_URL, DAY);
        assert_eq!(restarted.current().source(), CatalogSource::Bundled);
        restarted.load().await;

        let loaded = restarted.current();
        assert_eq!(loaded.source(), CatalogSource::Database);
        assert_eq!(loaded.fetched_at_ms(), live.fetched_at_ms());
        assert_eq!(loaded.models(), live.models());
        simulator.stop().await;
    }
);

crate::on_each_engine!(
    a_second_refresh_replaces_the_saved_copy,
    |store: Store| async move {
        let simulator = simulator().await;
        let catalog_a = catalog(&store, &simulator.base_url(), DAY);
        let first = catalog_a.refresh().await.unwrap();
        let second = catalog_a.refresh().await.unwrap();
        assert!(!Arc::ptr_eq(&first, &second));

        let restarted = catalog(&store, DEAD_URL, DAY);
        restarted.load().await;
        assert_eq!(restarted.current().fetched_at_ms(), second.fetched_at_ms());
        simulator.stop().await;
    }
);
