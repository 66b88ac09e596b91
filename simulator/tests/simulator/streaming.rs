//! Streamed chat completions: SSE framing, the usage-chunk variants, and agreement with the
//! non-streamed answer.

use std::time::{Duration, Instant};

use openrouter_simulator::{SimulatorConfig, USAGE_VARIANT_HEADER};
use serde_json::Value;

use crate::helpers::{Event, chunks, events, request, spawn, spawn_with, streamed, streamed_text};

const QUESTION: &str = "Explain streaming to me in a few words, please.";

#[tokio::test]
async fn stream_is_framed_like_openrouter_sse() {
    let harness = spawn().await;
    let response = harness
        .chat(&streamed("openai/gpt-4o-mini", QUESTION))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let header_id = crate::helpers::generation_id(&response);
    let body = response.text().await.unwrap();
    let events = events(&body);

    let processing = Event::Comment(": OPENROUTER PROCESSING".to_owned());
    assert_eq!(events[..2], [processing.clone(), processing.clone()]);
    assert_eq!(events.last(), Some(&Event::Data("[DONE]".to_owned())));
    let first_data = events
        .iter()
        .position(|e| matches!(e, Event::Data(_)))
        .unwrap();
    let last_data = events.len() - 1;
    assert!(
        events[first_data..last_data].contains(&processing),
        "a keep-alive comment goes between chunks"
    );

    let chunks = chunks(&body);
    for chunk in &chunks {
        assert_eq!(chunk["id"], header_id.as_str());
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["created"], chunks[0]["created"]);
        assert_eq!(chunk["model"], "openai/gpt-4o-mini");
        assert_eq!(chunk["provider"], "OpenAI");
    }
    let role = &chunks[0]["choices"][0];
    assert_eq!(role["delta"]["role"], "assistant");
    assert_eq!(role["delta"]["content"], "");
    assert!(role["finish_reason"].is_null());
    assert!(chunks.len() > 5, "the answer arrives in several deltas");

    let finish = &chunks[chunks.len() - 2]["choices"][0];
    assert_eq!(finish["delta"]["content"], "");
    assert_eq!(finish["finish_reason"], "stop");
    assert_eq!(finish["native_finish_reason"], "stop");
}

#[tokio::test]
async fn streamed_deltas_concatenate_to_the_non_streamed_answer() {
    let harness = spawn().await;
    let plain = harness
        .complete(&request("openai/gpt-4o-mini", QUESTION))
        .await;
    let body = harness
        .chat(&streamed("openai/gpt-4o-mini", QUESTION))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let chunks = chunks(&body);

    assert_eq!(
        streamed_text(&chunks),
        plain["choices"][0]["message"]["content"].as_str().unwrap()
    );
    let usage = &chunks.last().unwrap()["usage"];
    assert_eq!(usage, &plain["usage"]);
}

#[tokio::test]
async fn truncated_streams_finish_with_length() {
    let harness = spawn().await;
    let mut question = streamed("openai/gpt-4o-mini", QUESTION);
    question["max_tokens"] = serde_json::json!(3);
    let body = harness
        .chat(&question)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let chunks = chunks(&body);
    assert_eq!(streamed_text(&chunks), "Simulated an");
    assert_eq!(
        chunks[chunks.len() - 2]["choices"][0]["finish_reason"],
        "length"
    );
}

async fn usage_chunks(variant: Option<&str>) -> Vec<Value> {
    let harness = spawn().await;
    let mut request = harness.chat(&streamed("openai/gpt-4o-mini", QUESTION));
    if let Some(variant) = variant {
        request = request.header(USAGE_VARIANT_HEADER, variant);
    }
    let body = request.send().await.unwrap().text().await.unwrap();
    let chunks = chunks(&body);
    let usage: Vec<Value> = chunks
        .iter()
        .filter(|c| c.get("usage").is_some())
        .cloned()
        .collect();
    assert_eq!(usage.len(), 1, "exactly one usage chunk");
    assert_eq!(
        &usage[0],
        chunks.last().unwrap(),
        "usage is the last chunk before [DONE]"
    );
    assert!(usage[0]["usage"]["cost"].as_f64().unwrap() > 0.0);
    usage
}

#[tokio::test]
async fn documented_usage_chunk_has_no_choices_by_default() {
    for variant in [None, Some("documented")] {
        let usage = usage_chunks(variant).await;
        assert_eq!(usage[0]["choices"], serde_json::json!([]));
    }
}

#[tokio::test]
async fn empty_delta_usage_chunk_carries_one_unfinished_choice() {
    let usage = usage_chunks(Some("empty-delta")).await;
    let choices = usage[0]["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 1);
    assert_eq!(choices[0]["delta"]["content"], "");
    assert!(choices[0]["finish_reason"].is_null());
}

#[tokio::test]
async fn repeat_finish_usage_chunk_repeats_the_finish_reason() {
    let usage = usage_chunks(Some("repeat-finish")).await;
    let choices = usage[0]["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 1);
    assert_eq!(choices[0]["delta"]["content"], "");
    assert_eq!(choices[0]["finish_reason"], "stop");
    assert!(usage[0]["service_tier"].is_null());
    assert!(usage[0].as_object().unwrap().contains_key("service_tier"));
}

#[tokio::test]
async fn unknown_usage_variant_is_rejected() {
    let harness = spawn().await;
    let response = harness
        .chat(&streamed("openai/gpt-4o-mini", QUESTION))
        .header(USAGE_VARIANT_HEADER, "sideways")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn configured_chunk_delay_paces_the_stream() {
    let delay = Duration::from_millis(15);
    let harness = spawn_with(SimulatorConfig {
        chunk_delay: delay,
        ..SimulatorConfig::default()
    })
    .await;
    let started = Instant::now();
    let body = harness
        .chat(&streamed("openai/gpt-4o-mini", "hi"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let data_events = events(&body)
        .iter()
        .filter(|e| matches!(e, Event::Data(_)))
        .count();
    let gaps = u32::try_from(data_events - 1).unwrap();
    assert!(started.elapsed() >= delay * gaps);
}
