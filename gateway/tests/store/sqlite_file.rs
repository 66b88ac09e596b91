//! The SQLite database on disk: the folder and files the store creates are its owner's alone.

use std::os::unix::fs::PermissionsExt;

use gateway::Store;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn the_database_and_its_journal_files_are_private_to_the_owner() {
    let folder = std::env::temp_dir().join(format!("ai-gateway-mode-{}", uuid::Uuid::new_v4()));
    let file = folder.join("data").join("gateway.db");
    let store = Store::connect(&format!("sqlite:{}", file.display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();

    assert_eq!(mode(&folder.join("data")), 0o700);
    for name in ["gateway.db", "gateway.db-wal", "gateway.db-shm"] {
        assert_eq!(mode(&folder.join("data").join(name)), 0o600, "{name}");
    }
    store.close().await;
    std::fs::remove_dir_all(folder).unwrap();
}
