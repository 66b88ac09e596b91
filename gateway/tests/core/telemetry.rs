//! Telemetry never loses a row: a flood of calls ends with exactly one row per call.

use gateway::Gateway;
use serde_json::json;

use crate::helpers::{TestGateway, args, count};

crate::on_each_engine!(
    ten_thousand_calls_leave_exactly_ten_thousand_rows_after_shutdown,
    |t: TestGateway| async move {
        t.integration("flood", |_, _| {}).await;
        const CALLS: usize = 10_000;
        const WORKERS: usize = 64;
        let workers = (0..WORKERS).map(|w| {
            let gateway: Gateway = t.gateway.clone();
            tokio::spawn(async move {
                for _ in (w..CALLS).step_by(WORKERS) {
                    gateway
                        .invoke("flood", args(json!({"question": "q"})))
                        .await
                        .unwrap();
                }
            })
        });
        for worker in futures::future::join_all(workers).await {
            worker.unwrap();
        }
        // Close without waiting for the writer first: shutdown itself must drain the queue.
        t.gateway.close().await;
        assert_eq!(
            count(&t.database, "integration_slug = 'flood'").await,
            CALLS as i64
        );
        let TestGateway {
            database,
            simulator,
            ..
        } = t;
        // The gateway is closed already; start a fresh one so the harness can stop it normally.
        let gateway = Gateway::new({
            let mut config = gateway::GatewayConfig::new(database.url(), simulator.base_url());
            config.openrouter_api_key = Some("test-key".to_owned());
            config
        })
        .await
        .unwrap();
        TestGateway {
            gateway,
            database,
            simulator,
        }
    }
);
