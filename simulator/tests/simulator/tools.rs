//! Images and tools: the simulated model says how many images it saw, calls the first offered
//! function until the caller sends back its result, then answers with that result; whole and
//! streamed, in OpenRouter's shapes.

use serde_json::{Value, json};

use crate::helpers::{chunks, spawn, streamed_text};

const MODEL: &str = "openai/gpt-4o-mini";

fn offering(messages: Value) -> Value {
    json!({
        "model": MODEL,
        "messages": messages,
        "tools": [
            {"type": "openrouter:web_search"},
            {"type": "function", "function": {"name": "find_flight", "parameters": {"type": "object",
              "properties": {"from": {"type": "string"}, "seats": {"type": "integer"},
                             "direct": {"type": "boolean"}, "when": {"type": "object"}}}}},
            {"type": "function", "function": {"name": "never_first"}}
        ]
    })
}

#[tokio::test]
async fn images_in_the_request_are_counted_in_the_answer() {
    let harness = spawn().await;
    let image = json!({"type": "image_url", "image_url": {"url": "https://example.com/a.png"}});
    let body = harness
        .complete(&json!({"model": MODEL, "messages": [
            {"role": "user", "content": [image, {"type": "text", "text": "And this one?"}, image]}
        ]}))
        .await;
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Simulated answer from openai/gpt-4o-mini: I see 2 images. And this one?"
    );
    let one = harness
        .complete(&json!({"model": MODEL, "messages": [
            {"role": "user", "content": [image, {"type": "text", "text": "What is it?"}]}
        ]}))
        .await;
    assert!(
        one["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .contains("I see 1 image. What is it?")
    );
}

#[tokio::test]
async fn offered_functions_are_called_with_arguments_filled_by_type() {
    let harness = spawn().await;
    let body = harness
        .complete(&offering(
            json!([{"role": "user", "content": "Lisbon please"}]),
        ))
        .await;
    let choice = &body["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["content"], Value::Null);
    let call = &choice["message"]["tool_calls"][0];
    assert_eq!(call["type"], "function");
    assert_eq!(call["id"], "call_sim_find_flight");
    assert_eq!(call["function"]["name"], "find_flight");
    let arguments: Value =
        serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(
        arguments,
        json!({"from": "Lisbon please", "seats": 1, "direct": true, "when": null})
    );
    assert!(body["usage"]["completion_tokens"].as_u64().unwrap() > 0);
    assert!(body["usage"]["cost"].as_f64().unwrap() > 0.0);
}

#[tokio::test]
async fn a_streamed_call_comes_in_fragments_that_add_up() {
    let harness = spawn().await;
    let mut request = offering(json!([{"role": "user", "content": "Oslo"}]));
    request["stream"] = json!(true);
    let text = harness
        .chat(&request)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.ends_with("data: [DONE]\n\n"));
    let chunks = chunks(&text);
    let fragments: Vec<&Value> = chunks
        .iter()
        .map(|c| &c["choices"][0]["delta"]["tool_calls"][0])
        .filter(|fragment| fragment.is_object())
        .collect();
    assert_eq!(fragments.len(), 3);
    assert_eq!(fragments[0]["id"], "call_sim_find_flight");
    assert_eq!(fragments[0]["function"]["name"], "find_flight");
    assert_eq!(fragments[0]["function"]["arguments"], "");
    assert!(fragments[1].get("id").is_none());
    let arguments: String = fragments
        .iter()
        .filter_map(|f| f["function"]["arguments"].as_str())
        .collect();
    let arguments: Value = serde_json::from_str(&arguments).unwrap();
    assert_eq!(arguments["from"], "Oslo");
    let finishes: Vec<&str> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["finish_reason"].as_str())
        .collect();
    assert_eq!(finishes, ["tool_calls"]);
    assert_eq!(streamed_text(&chunks), "");
    assert!(
        chunks.last().unwrap()["usage"]["completion_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[tokio::test]
async fn a_tool_result_is_answered_in_text_whole_and_streamed() {
    let harness = spawn().await;
    let mut request = offering(json!([
        {"role": "user", "content": "Oslo"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "call_sim_find_flight",
          "type": "function", "function": {"name": "find_flight", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_sim_find_flight", "content": "Flight SK 4411 at 9:05"}
    ]));
    let body = harness.complete(&request).await;
    let expected =
        "Simulated answer from openai/gpt-4o-mini: the tool returned Flight SK 4411 at 9:05";
    assert_eq!(body["choices"][0]["message"]["content"], expected);
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert!(body["choices"][0]["message"].get("tool_calls").is_none());

    request["stream"] = json!(true);
    let text = harness
        .chat(&request)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(streamed_text(&chunks(&text)), expected);
}
