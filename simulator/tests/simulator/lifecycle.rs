//! Starting and stopping the simulator: addresses, graceful shutdown and `serve`.

use std::net::{Ipv4Addr, SocketAddr};

use openrouter_simulator::{RunningSimulator, SimulatorConfig, serve};
use tokio::{net::TcpListener, sync::oneshot};

use crate::helpers::spawn;

#[tokio::test]
async fn base_url_points_at_the_api_on_the_bound_port() {
    let harness = spawn().await;
    let port = harness.simulator.port();
    assert_ne!(port, 0);
    assert_eq!(
        harness.simulator.base_url(),
        format!("http://127.0.0.1:{port}/api/v1")
    );
}

#[tokio::test]
async fn a_stopped_simulator_refuses_connections() {
    let harness = spawn().await;
    let models = harness.url("/models");
    assert_eq!(
        harness.client.get(&models).send().await.unwrap().status(),
        200
    );

    harness.simulator.stop().await;
    assert!(harness.client.get(&models).send().await.is_err());
}

#[tokio::test]
async fn dropping_a_running_simulator_is_harmless() {
    let simulator = RunningSimulator::start(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        SimulatorConfig::default(),
    )
    .await
    .unwrap();
    drop(simulator);
}

#[tokio::test]
async fn serve_runs_until_its_shutdown_future_resolves() {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let url = format!("http://{}/api/v1/models", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, SimulatorConfig::default(), async {
        stopped.await.ok();
    }));

    let client = reqwest::Client::builder().build().unwrap();
    assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
