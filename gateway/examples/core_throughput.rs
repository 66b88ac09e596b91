//! Measures the cost of one invocation inside the core: calls per second through
//! `Gateway::invoke` (snapshot, rate limit, rendering, budget reservation, payload, HTTP to the
//! simulator, settlement, telemetry) on one core, with the simulator answering at 0 ms on
//! another thread. Run: `cargo run --release -p gateway --example core_throughput [calls]`.

use std::io::Write;
use std::time::Instant;

use gateway::types::{IntegrationFields, NanoUsd, VersionDraft};
use gateway::{Gateway, GatewayConfig};
use openrouter_simulator::{RunningSimulator, SimulatorConfig};
use serde_json::json;

const CONCURRENCY: usize = 32;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let calls: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let (ready, base_url) = std::sync::mpsc::channel();
    // The simulator gets its own thread so the measured core has the other one to itself.
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async move {
            let simulator =
                RunningSimulator::start(([127, 0, 0, 1], 0).into(), SimulatorConfig::default())
                    .await?;
            let _ = ready.send(simulator.base_url());
            std::future::pending::<()>().await;
            Ok::<_, std::io::Error>(())
        })
    });
    let base_url = base_url.recv()?;
    let database =
        std::env::temp_dir().join(format!("ai-gateway-throughput-{}.db", uuid::Uuid::new_v4()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let rate = runtime.block_on(async move {
        let mut config = GatewayConfig::new(format!("sqlite:{}", database.display()), base_url);
        config.openrouter_api_key = Some("bench".to_owned());
        let gateway = Gateway::new(config).await?;
        gateway
            .create_integration(&fields(), &draft(), None)
            .await?;
        let started = Instant::now();
        let workers = (0..CONCURRENCY).map(|w| {
            let gateway = gateway.clone();
            tokio::spawn(async move {
                for _ in (w..calls).step_by(CONCURRENCY) {
                    let args = json!({"question": "How fast is this?"});
                    gateway
                        .invoke("bench", args.as_object().cloned().unwrap_or_default())
                        .await?;
                }
                Ok::<_, gateway::Error>(())
            })
        });
        for worker in futures::future::join_all(workers).await {
            worker??;
        }
        let elapsed = started.elapsed();
        gateway.close().await;
        let _ = std::fs::remove_file(&database);
        Ok::<_, Box<dyn std::error::Error>>(calls as f64 / elapsed.as_secs_f64())
    })?;
    writeln!(
        std::io::stdout(),
        "{calls} calls, {CONCURRENCY} in flight, one core: {rate:.0} calls/s ({:.0} µs per call)",
        1e6 / rate
    )?;
    Ok(())
}

fn fields() -> IntegrationFields {
    IntegrationFields {
        // Limits on, so their cost is part of the measurement; high enough never to refuse.
        rate_limit_per_minute: Some(1_000_000),
        daily_cap: Some(NanoUsd::from_usd(1_000_000.0)),
        ..gateway::test_support::sample_fields("bench")
    }
}

fn draft() -> VersionDraft {
    VersionDraft {
        cacheable: false,
        ..gateway::test_support::sample_draft()
    }
}
