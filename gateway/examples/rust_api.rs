//! The Rust API end to end, against the OpenRouter simulator served in this process: one call
//! per capability (`invoke`, `chat`, `stream`, `start_conversation`, `converse`), each checked.
//! `make test` runs it, so a change to these methods breaks the build or the run.
//! Run: `cargo run -p gateway --example rust_api`.

use futures::StreamExt;
use gateway::types::{IntegrationFields, VersionDraft};
use gateway::{ChatMessage, Gateway, GatewayConfig, StreamItem};
use openrouter_simulator::{RunningSimulator, SimulatorConfig};
use serde_json::json;

type Failure = Box<dyn std::error::Error>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let simulator =
        RunningSimulator::start(([127, 0, 0, 1], 0).into(), SimulatorConfig::default()).await?;
    let database =
        std::env::temp_dir().join(format!("ai-gateway-rust-api-{}.db", uuid::Uuid::new_v4()));
    let mut config = GatewayConfig::new(
        format!("sqlite:{}", database.display()),
        simulator.base_url(),
    );
    config.openrouter_api_key = Some("example".to_owned());
    let gateway = Gateway::new(config).await?;
    let outcome = run(&gateway).await;
    gateway.close().await;
    simulator.stop().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
    }
    outcome
}

async fn run(gateway: &Gateway) -> Result<(), Failure> {
    gateway
        .create_integration(
            &IntegrationFields::new("faq", "FAQ"),
            // A template with one required string variable, `question`.
            &gateway::test_support::sample_draft(),
            None,
        )
        .await?;
    gateway
        .create_integration(
            &IntegrationFields {
                conversational: true,
                ..IntegrationFields::new("tutor", "Tutor")
            },
            &VersionDraft {
                prompt_template: "You are a patient tutor.".to_owned(),
                models: vec!["openai/gpt-4o-mini".to_owned()],
                ..VersionDraft::default()
            },
            None,
        )
        .await?;

    let args = json!({ "question": "what is a gateway" });
    let args = args.as_object().cloned().unwrap_or_default();
    let answer = gateway.invoke("faq", args.clone()).await?;
    expect(
        answer.text.contains("gateway"),
        "invoke echoes the rendered prompt",
    )?;
    say(&format!("invoke: {}", answer.text));

    let answer = gateway
        .chat("tutor", vec![ChatMessage::user("explain borrowing")])
        .await?;
    expect(
        answer.text.contains("borrowing"),
        "chat answers the message",
    )?;
    say(&format!("chat: {}", answer.text));

    let mut stream = gateway.stream("faq", args).await?;
    let mut streamed = String::new();
    let mut summary = None;
    while let Some(item) = stream.next().await {
        match item? {
            StreamItem::Delta(text) => streamed.push_str(&text),
            StreamItem::Done(done) => summary = Some(done),
        }
    }
    let summary = summary.ok_or("the stream ended without its summary")?;
    expect(
        summary.text == streamed,
        "the summary holds the streamed text",
    )?;
    say(&format!("stream: {streamed}"));

    let thread = gateway.start_conversation("tutor").await?;
    let first = gateway
        .converse("tutor", Some(&thread.id), "teach me lifetimes")
        .await?;
    let second = gateway
        .converse("tutor", Some(&thread.id), "and traits")
        .await?;
    expect(
        first.conversation_id.as_deref() == Some(thread.id.as_str())
            && second.conversation_id == first.conversation_id,
        "both turns belong to the thread",
    )?;
    say(&format!("converse: {} / {}", first.text, second.text));
    Ok(())
}

/// Prints one line of what the example saw.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

fn expect(holds: bool, what: &str) -> Result<(), Failure> {
    if holds {
        Ok(())
    } else {
        Err(format!("expected: {what}").into())
    }
}
