//! Settings survive a round trip and an overwrite on both engines.

use gateway::{Store, settings};

crate::on_each_engine!(
    a_saved_setting_reads_back_and_can_be_replaced,
    |store: Store| async move {
        assert_eq!(settings::get(&store, "api_enabled").await.unwrap(), None);

        settings::put(&store, "api_enabled", "true", 1)
            .await
            .unwrap();
        assert_eq!(
            settings::get(&store, "api_enabled")
                .await
                .unwrap()
                .as_deref(),
            Some("true")
        );

        settings::put(&store, "api_enabled", "false", 2)
            .await
            .unwrap();
        assert_eq!(
            settings::get(&store, "api_enabled")
                .await
                .unwrap()
                .as_deref(),
            Some("false")
        );
    }
);

crate::on_each_engine!(migrating_twice_changes_nothing, |store: Store| async move {
    store.migrate().await.unwrap();
    store.ping().await.unwrap();
});
