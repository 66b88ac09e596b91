//! Fault injection through the fault header and through reserved `simulator/...` model ids.

use std::time::{Duration, Instant};

use openrouter_simulator::{CHUNK_DELAY_HEADER, FAULT_HEADER, FAULT_MODEL_PREFIX};
use serde_json::Value;

use crate::helpers::{
    Event, chunks, events, read_until_break, request, spawn, streamed, streamed_text,
};

const QUESTION: &str = "Tell me a story about a very unreliable network connection.";

#[tokio::test]
async fn latency_fault_delays_the_answer_by_at_least_the_requested_time() {
    let harness = spawn().await;
    let started = Instant::now();
    let body = harness
        .chat(&request("openai/gpt-4o-mini", QUESTION))
        .header(FAULT_HEADER, "latency-150")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn reserved_model_ids_select_faults_and_are_served_at_fixed_prices() {
    let harness = spawn().await;
    let model = format!("{FAULT_MODEL_PREFIX}latency-120");
    let started = Instant::now();
    let body = harness.complete(&request(&model, QUESTION)).await;
    assert!(started.elapsed() >= Duration::from_millis(120));

    assert_eq!(body["model"], model.as_str());
    let usage = &body["usage"];
    let expected = usage["prompt_tokens"].as_f64().unwrap() * 0.000001
        + usage["completion_tokens"].as_f64().unwrap() * 0.000002;
    crate::helpers::assert_close(usage["cost"].as_f64().unwrap(), expected);
}

#[tokio::test]
async fn error_faults_answer_with_the_status_and_openrouter_body() {
    let harness = spawn().await;
    for status in [400, 401, 402, 403, 404, 408, 418, 429, 500, 502, 503, 529] {
        let response = harness
            .chat(&request("openai/gpt-4o-mini", QUESTION))
            .header(FAULT_HEADER, format!("error-{status}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status);
        let retry_after = response.headers().get("retry-after").cloned();
        let body: Value = response.json().await.unwrap();
        let error = &body["error"];
        assert!(error["message"].is_string(), "status {status}: {body}");
        match status {
            // The documented availability errors carry no `code`, just like the docs' example.
            404 => assert_eq!(error["http_status"], 404),
            _ => assert_eq!(error["code"], status, "status {status}: {body}"),
        }
        if status == 429 || status == 503 {
            assert_eq!(retry_after.unwrap(), "1", "status {status}");
        }
    }
}

#[tokio::test]
async fn error_400_fault_relays_a_provider_error_with_its_raw_body() {
    let harness = spawn().await;
    let response = harness
        .chat(&request("openai/gpt-4o-mini", QUESTION))
        .header(FAULT_HEADER, "error-400")
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["message"], "Provider returned error");
    assert!(body["error"]["metadata"]["raw"].is_string());
    assert!(body["error"]["metadata"]["provider_name"].is_string());
}

#[tokio::test]
async fn error_faults_work_through_reserved_model_ids_and_fallback_lists() {
    let harness = spawn().await;
    let response = harness
        .chat(&serde_json::json!({
            "models": ["simulator/unavailable", "simulator/error-429", "openai/gpt-4o-mini"],
            "messages": [{"role": "user", "content": QUESTION}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "1");
}

#[tokio::test]
async fn malformed_json_fault_returns_an_unparseable_200() {
    let harness = spawn().await;
    let response = harness
        .chat(&request("openai/gpt-4o-mini", QUESTION))
        .header(FAULT_HEADER, "malformed-json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let text = response.text().await.unwrap();
    assert!(text.starts_with('{'));
    assert!(serde_json::from_str::<Value>(&text).is_err());
}

#[tokio::test]
async fn error_in_200_fault_hides_a_provider_error_in_a_success_body() {
    let harness = spawn().await;
    let response = harness
        .chat(&request("openai/gpt-4o-mini", QUESTION))
        .header(FAULT_HEADER, "error-in-200")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["message"], "Provider returned error");
    assert_eq!(body["error"]["code"], 429);
    assert_eq!(body["error"]["metadata"]["raw"], "error code: 1015");
    assert!(body["choices"][0]["message"]["content"].is_null());
    assert_eq!(body["usage"]["prompt_tokens"], 0);
    assert_eq!(body["usage"]["completion_tokens"], 0);
    assert_eq!(body["usage"]["total_tokens"], 0);
}

#[tokio::test]
async fn cut_stream_fault_breaks_the_stream_before_it_finishes() {
    let harness = spawn().await;
    let response = harness
        .chat(&streamed("openai/gpt-4o-mini", QUESTION))
        .header(FAULT_HEADER, "cut-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (received, broke) = read_until_break(response).await;

    assert!(broke, "the body read fails");
    assert!(!received.contains("[DONE]"));
    assert!(!received.contains("\"usage\""));
    assert!(!received.contains("\"finish_reason\":\"stop\""));
    assert!(
        !streamed_text(&chunks(&received)).is_empty(),
        "some deltas arrive first"
    );
}

#[tokio::test]
async fn cut_stream_fault_breaks_a_non_streamed_body_too() {
    let harness = spawn().await;
    let response = harness
        .chat(&request("simulator/cut-stream", QUESTION))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (received, broke) = read_until_break(response).await;
    assert!(broke, "the body read fails");
    assert!(serde_json::from_str::<Value>(&received).is_err());
}

#[tokio::test]
async fn midstream_error_fault_ends_the_stream_with_an_error_chunk() {
    let harness = spawn().await;
    let body = harness
        .chat(&streamed("openai/gpt-4o-mini", QUESTION))
        .header(FAULT_HEADER, "midstream-error")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!body.contains("[DONE]"));
    let chunks = chunks(&body);
    let last = chunks.last().unwrap();
    assert_eq!(last["object"], "chat.completion.chunk");
    assert_eq!(last["error"]["code"], 502);
    assert!(last["error"]["message"].is_string());
    assert!(last["error"]["metadata"]["error_type"].is_string());
    assert_eq!(last["choices"][0]["finish_reason"], "error");
    assert!(
        !streamed_text(&chunks).is_empty(),
        "some deltas arrive first"
    );
    assert!(chunks.iter().all(|chunk| chunk.get("usage").is_none()));
}

#[tokio::test]
async fn midstream_error_fault_without_streaming_reports_the_error_on_the_choice() {
    let harness = spawn().await;
    let body = harness
        .complete(&request("simulator/midstream-error", QUESTION))
        .await;
    let choice = &body["choices"][0];
    assert_eq!(choice["finish_reason"], "error");
    assert_eq!(choice["error"]["code"], 502);
    assert!(!choice["message"]["content"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn slow_stream_fault_spaces_chunks_by_the_requested_delay() {
    let harness = spawn().await;
    let delay = Duration::from_millis(25);
    let started = Instant::now();
    let body = harness
        .chat(&streamed("openai/gpt-4o-mini", QUESTION))
        .header(FAULT_HEADER, "slow-stream")
        .header(CHUNK_DELAY_HEADER, "25")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let elapsed = started.elapsed();

    let events = events(&body);
    let data_events = events
        .iter()
        .filter(|e| matches!(e, Event::Data(_)))
        .count();
    assert!(elapsed >= delay * u32::try_from(data_events - 1).unwrap());
    let deltas = &events[3..events.len() - 3];
    assert!(deltas.len() > 3);
    for pair in deltas.windows(2) {
        let both_data = matches!(pair, [Event::Data(_), Event::Data(_)]);
        assert!(!both_data, "a keep-alive comment goes between deltas");
    }
    assert_eq!(events.last(), Some(&Event::Data("[DONE]".to_owned())));
}

#[tokio::test]
async fn slow_stream_model_id_defaults_to_100_ms_between_chunks() {
    let harness = spawn().await;
    let started = Instant::now();
    let body = harness
        .chat(&streamed("simulator/slow-stream", "hi"))
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
    assert!(
        started.elapsed() >= Duration::from_millis(100) * u32::try_from(data_events - 1).unwrap()
    );
}

#[tokio::test]
async fn unknown_fault_name_is_rejected_with_the_list_of_valid_faults() {
    let harness = spawn().await;
    let by_header = harness
        .chat(&request("openai/gpt-4o-mini", QUESTION))
        .header(FAULT_HEADER, "gremlins");
    let by_model = harness.chat(&request("simulator/gremlins", QUESTION));
    let out_of_range = harness
        .chat(&request("openai/gpt-4o-mini", QUESTION))
        .header(FAULT_HEADER, "error-200");
    for request in [by_header, by_model, out_of_range] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("cut-stream") && message.contains("latency-<ms>"),
            "{message}"
        );
    }
}
