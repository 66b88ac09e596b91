//! `last_used_at`: batched by the `UsageTracker`, and never moved backwards.

use gateway::Store;
use gateway::tokens::{self, INVOKE_ABILITY, UsageTracker};

use crate::helpers::last_used_at;

const NOW: i64 = 1_800_000_000_000;

async fn mint(store: &Store, name: &str) -> i64 {
    let abilities = [INVOKE_ABILITY.to_owned()];
    tokens::create(store, name, &abilities, None, None, NOW)
        .await
        .unwrap()
        .0
        .id
}

crate::on_each_engine!(
    many_touches_become_one_write_of_the_latest_use,
    |store: Store, _url: String| async move {
        let a = mint(&store, "a").await;
        let b = mint(&store, "b").await;
        let tracker = UsageTracker::default();
        for offset in [5, 30, 10, 20] {
            tracker.clone().touch(a, NOW + offset);
        }
        tracker.touch(b, NOW + 1);

        assert_eq!(tracker.flush(&store).await.unwrap(), 2);
        assert_eq!(last_used_at(&store, a).await, Some(NOW + 30));
        assert_eq!(last_used_at(&store, b).await, Some(NOW + 1));
        assert_eq!(tracker.flush(&store).await.unwrap(), 0);
    }
);

crate::on_each_engine!(
    recording_use_never_moves_last_used_at_backwards,
    |store: Store, _url: String| async move {
        let id = mint(&store, "a").await;
        tokens::record_use(&store, &[(id, NOW + 50)]).await.unwrap();
        tokens::record_use(&store, &[(id, NOW + 10)]).await.unwrap();
        assert_eq!(last_used_at(&store, id).await, Some(NOW + 50));

        tokens::record_use(&store, &[(id, NOW + 60)]).await.unwrap();
        assert_eq!(last_used_at(&store, id).await, Some(NOW + 60));
    }
);

crate::on_each_engine!(
    a_failed_flush_keeps_its_uses_for_the_next_one,
    |store: Store, url: String| async move {
        let id = mint(&store, "a").await;
        let tracker = UsageTracker::default();
        tracker.touch(id, NOW + 10);

        let closed = Store::connect(&url).await.unwrap();
        closed.close().await;
        assert!(tracker.flush(&closed).await.is_err());

        tracker.touch(id, NOW + 5);
        assert_eq!(tracker.flush(&store).await.unwrap(), 1);
        assert_eq!(last_used_at(&store, id).await, Some(NOW + 10));
    }
);
