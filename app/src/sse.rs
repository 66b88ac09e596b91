//! Server-Sent Events in the browser: the console reads the same event stream the public API
//! serves (`delta`, then `done` or `error`), POSTed with the admin's session cookie, as it arrives.

/// One complete event: its name (`message` when unnamed) and its data lines joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub name: String,
    pub data: String,
}

/// Turns arriving bytes into events; bytes may split anywhere, even inside a character.
#[derive(Debug, Default)]
pub struct Parser {
    pending: Vec<u8>,
    text: String,
}

impl Parser {
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Event> {
        self.pending.extend_from_slice(bytes);
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(all) => all.len(),
            Err(e) => e.valid_up_to(),
        };
        let rest = self.pending.split_off(valid);
        self.text
            .push_str(&String::from_utf8_lossy(&std::mem::replace(
                &mut self.pending,
                rest,
            )));
        let mut events = Vec::new();
        while let Some(end) = self.text.find("\n\n") {
            let block: String = self.text.drain(..end + 2).collect();
            let mut name = "message".to_owned();
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("event:") {
                    name = value.trim().to_owned();
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push(value.strip_prefix(' ').unwrap_or(value));
                }
            }
            if !data.is_empty() {
                events.push(Event {
                    name,
                    data: data.join("\n"),
                });
            }
        }
        events
    }
}

/// POSTs `body` as JSON to `url` and hands every event to `on_event` as it arrives. A non-2xx
/// answer comes back as `Err` with the server's message.
#[cfg(feature = "hydrate")]
pub async fn post_events(
    url: &str,
    body: &serde_json::Value,
    mut on_event: impl FnMut(Event),
) -> Result<(), String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    let response = gloo_net::http::Request::post(url)
        .header("Accept", "text/event-stream")
        .json(body)
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|e| format!("The request failed: {e}"))?;
    if !response.ok() {
        let status = response.status();
        let body = response
            .json::<serde_json::Value>()
            .await
            .unwrap_or_default();
        return Err(error_message(
            &body,
            &format!("The server answered {status}."),
        ));
    }
    let stream = response.body().ok_or("The answer has no body.")?;
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut parser = Parser::default();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|_| "The stream broke off.".to_owned())?;
        let done = js_sys::Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            return Ok(());
        }
        if let Ok(value) = js_sys::Reflect::get(&chunk, &"value".into()) {
            let bytes = js_sys::Uint8Array::new(&value).to_vec();
            for event in parser.push(&bytes) {
                on_event(event);
            }
        }
    }
}

/// `message`, followed by every field error (`field: problem`), from an error body.
pub fn error_message(body: &serde_json::Value, fallback: &str) -> String {
    let mut message = body["message"].as_str().unwrap_or(fallback).to_owned();
    if let Some(errors) = body["errors"].as_object() {
        for (field, problems) in errors {
            for problem in problems.as_array().into_iter().flatten() {
                message.push_str(&format!(
                    "\n{field}: {}",
                    problem.as_str().unwrap_or_default()
                ));
            }
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_carry_their_field_errors() {
        let body = serde_json::json!({"message": "Invalid arguments", "errors": {"question": ["Required."]}});
        assert_eq!(
            error_message(&body, ""),
            "Invalid arguments\nquestion: Required."
        );
        assert_eq!(
            error_message(&serde_json::Value::Null, "Failed."),
            "Failed."
        );
    }

    #[test]
    fn events_are_parsed_across_arbitrary_splits() {
        let stream =
            "event: delta\ndata: {\"text\":\"Hé\"}\n\n: keep-alive\n\nevent: done\ndata: {}\n\n";
        let bytes = stream.as_bytes();
        for split in 0..bytes.len() {
            let mut parser = Parser::default();
            let mut events = parser.push(&bytes[..split]);
            events.extend(parser.push(&bytes[split..]));
            assert_eq!(
                events,
                [
                    Event {
                        name: "delta".into(),
                        data: "{\"text\":\"Hé\"}".into()
                    },
                    Event {
                        name: "done".into(),
                        data: "{}".into()
                    },
                ],
                "split at {split}"
            );
        }
    }
}
