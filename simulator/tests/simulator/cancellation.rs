//! Streams the client abandons: they are billed for what was sent and recorded as cancelled, while
//! finished and faulted streams keep their records (or lack of them).

use std::time::{Duration, Instant};

use futures::StreamExt;
use openrouter_simulator::{CHUNK_DELAY_HEADER, FAULT_HEADER};
use serde_json::Value;

use crate::helpers::{
    Harness, assert_close, catalog_prices, chunks, read_until_break, request, spawn, streamed,
    streamed_text,
};

const MODEL: &str = "openai/gpt-4o-mini";
/// Long enough that the answer has far more pieces than go out before a hang-up is noticed.
const QUESTION: &str = "Tell me everything about how a gateway relays a streamed completion from \
                        the provider to the caller, chunk by chunk, keep-alives included, and \
                        what happens to the bill when the caller walks away halfway through it.";
/// How long the simulator may take to notice a closed connection and book the generation.
const BOOKING_WAIT: Duration = Duration::from_secs(3);

/// Sends a `slow-stream` request paced at `delay_ms`, reads until `enough` holds for the text of
/// the complete chunks received, then drops the connection. Returns the generation id and the
/// text that arrived.
async fn abandon_stream(
    harness: &Harness,
    delay_ms: u64,
    enough: impl Fn(&[Value]) -> bool,
) -> (String, String) {
    let response = harness
        .chat(&streamed(MODEL, QUESTION))
        .header(FAULT_HEADER, "slow-stream")
        .header(CHUNK_DELAY_HEADER, delay_ms.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let id = crate::helpers::generation_id(&response);
    let mut body = response.bytes_stream();
    let mut received = String::new();
    loop {
        let bytes = body
            .next()
            .await
            .expect("the stream goes on until the client leaves")
            .unwrap();
        received.push_str(std::str::from_utf8(&bytes).unwrap());
        // Only whole events parse; a chunk may be split across reads.
        let complete = &received[..received.rfind("\n\n").map_or(0, |end| end + 2)];
        let chunks = chunks(complete);
        if enough(&chunks) {
            assert!(
                !received.contains("[DONE]"),
                "the stream is left unfinished"
            );
            // Dropping the body of an unfinished response closes the connection.
            drop(body);
            return (id, streamed_text(&chunks));
        }
    }
}

/// The generation record once it is booked, which for an abandoned stream happens only when the
/// simulator notices the closed connection.
async fn booked_generation(harness: &Harness, id: &str) -> Value {
    let deadline = Instant::now() + BOOKING_WAIT;
    loop {
        let (status, generation) = harness.get_json(&format!("/generation?id={id}")).await;
        if status == 200 {
            return generation["data"].clone();
        }
        assert_eq!(status, 404, "an unbooked generation is not found");
        assert!(
            Instant::now() < deadline,
            "generation {id} was not booked within {BOOKING_WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn tokens(value: &Value) -> u64 {
    value.as_u64().expect("token counts are whole numbers")
}

/// Tokens of `text` under the simulator's tokenizer: one per four characters, rounded up.
fn count_tokens(text: &str) -> u64 {
    u64::try_from(text.chars().count().div_ceil(4)).unwrap()
}

#[tokio::test]
async fn abandoned_stream_is_billed_for_the_sent_part_and_recorded_as_cancelled() {
    let harness = spawn().await;
    let full = harness.complete(&request(MODEL, QUESTION)).await;
    let full_completion = tokens(&full["usage"]["completion_tokens"]);
    let prompt = tokens(&full["usage"]["prompt_tokens"]);

    let (id, received) =
        abandon_stream(&harness, 200, |chunks| !streamed_text(chunks).is_empty()).await;
    let record = booked_generation(&harness, &id).await;

    assert_eq!(record["id"], id.as_str());
    assert_eq!(record["streamed"], true);
    assert_eq!(record["cancelled"], true);
    assert!(record["finish_reason"].is_null());
    let completion = tokens(&record["tokens_completion"]);
    assert!(
        completion >= count_tokens(&received).max(1),
        "{completion} tokens billed, but {received:?} arrived"
    );
    assert!(
        completion < full_completion,
        "{completion} tokens billed of a {full_completion}-token answer"
    );
    assert_eq!(tokens(&record["tokens_prompt"]), prompt);
    assert_eq!(tokens(&record["native_tokens_completion"]), completion);
    let (prompt_price, completion_price) = catalog_prices(&harness, MODEL).await;
    let cost = record["total_cost"].as_f64().unwrap();
    assert_close(
        cost,
        prompt as f64 * prompt_price + completion as f64 * completion_price,
    );
    assert_eq!(record["usage"], record["total_cost"]);
}

#[tokio::test]
async fn stream_abandoned_before_any_content_is_billed_for_the_prompt_only() {
    let harness = spawn().await;
    let prompt =
        tokens(&harness.complete(&request(MODEL, QUESTION)).await["usage"]["prompt_tokens"]);

    // The empty role chunk goes out at once; the first piece would follow only after 10 s.
    let (id, received) = abandon_stream(&harness, 10_000, |chunks| !chunks.is_empty()).await;
    assert_eq!(received, "");
    let record = booked_generation(&harness, &id).await;

    assert_eq!(record["cancelled"], true);
    assert_eq!(tokens(&record["tokens_completion"]), 0);
    assert_eq!(tokens(&record["tokens_prompt"]), prompt);
    let (prompt_price, _) = catalog_prices(&harness, MODEL).await;
    assert_close(
        record["total_cost"].as_f64().unwrap(),
        prompt as f64 * prompt_price,
    );
}

#[tokio::test]
async fn finished_stream_is_not_cancelled() {
    let harness = spawn().await;
    let response = harness
        .chat(&streamed(MODEL, QUESTION))
        .send()
        .await
        .unwrap();
    let id = crate::helpers::generation_id(&response);
    let body = response.text().await.unwrap();
    assert!(body.ends_with("data: [DONE]\n\n"));
    let usage = chunks(&body).last().unwrap()["usage"].clone();

    let record = booked_generation(&harness, &id).await;
    assert_eq!(record["cancelled"], false);
    assert_eq!(record["finish_reason"], "stop");
    assert_eq!(record["tokens_completion"], usage["completion_tokens"]);
    assert_eq!(record["total_cost"], usage["cost"]);
}

#[tokio::test]
async fn faulted_streams_stay_unbooked() {
    let harness = spawn().await;
    for fault in ["cut-stream", "midstream-error"] {
        let response = harness
            .chat(&streamed(MODEL, QUESTION))
            .header(FAULT_HEADER, fault)
            .send()
            .await
            .unwrap();
        let id = crate::helpers::generation_id(&response);
        read_until_break(response).await;
        // Give a wrongly booked cancellation the time it would take to show up.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (status, _) = harness.get_json(&format!("/generation?id={id}")).await;
        assert_eq!(status, 404, "a {fault} stream is not booked");
    }
}
