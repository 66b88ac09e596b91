"""Drives the OpenAI-compatible API with the official openai package the way applications do:
system messages, content parts, images, and a tool-calling round trip, whole and streamed.
Integrations: `plain` (text only), `eyes` (supports vision), `tooling` (supports tools).
Exits non-zero on any mismatch; prints one `ok` line per check."""

import json
import os

import openai
from openai import OpenAI

client = OpenAI(base_url=os.environ["BASE_URL"], api_key=os.environ["TOKEN"], max_retries=0)
extra = {"args": {"question": "Help the caller."}}
# A 1×1 PNG, as applications send pictures they hold.
PIXEL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def ask(model, messages, **kwargs):
    return client.chat.completions.create(model=model, messages=messages, extra_body=extra, **kwargs)


answer = ask("plain", [
    {"role": "system", "content": "Answer in one sentence."},
    {"role": "developer", "content": "Never use jargon."},
    {"role": "user", "content": "What is a gateway?"},
])
assert answer.choices[0].message.content.endswith("What is a gateway?"), answer
assert answer.id.startswith("gen-"), answer.id
print("system message ok")

answer = ask("plain", [{"role": "user", "content": [
    {"type": "text", "text": "First part."},
    {"type": "text", "text": "Second part."},
]}])
text = answer.choices[0].message.content
assert "First part." in text and "Second part." in text, text
print("content parts ok")

looking = [{"role": "user", "content": [
    {"type": "text", "text": "What is in this picture?"},
    {"type": "image_url", "image_url": {"url": PIXEL, "detail": "low"}},
]}]
answer = ask("eyes", looking)
assert "I see 1 image" in answer.choices[0].message.content, answer
print("image on a vision integration ok")

try:
    ask("plain", looking)
    raise AssertionError("an image on a text-only integration was accepted")
except openai.BadRequestError as error:
    assert error.status_code == 400, error
    assert error.body["param"] == "messages.0.content.1", error.body
    assert "supports_vision" in error.body["message"], error.body
print("image on a text-only integration refused ok")

WEATHER = [{
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city now.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}]
conversation = [{"role": "user", "content": "Paris"}]
answer = ask("tooling", conversation, tools=WEATHER, tool_choice="auto")
choice = answer.choices[0]
assert choice.finish_reason == "tool_calls", choice
call = choice.message.tool_calls[0]
assert call.type == "function" and call.function.name == "get_weather", call
assert json.loads(call.function.arguments) == {"city": "Paris"}, call.function.arguments
assert answer.usage.completion_tokens > 0, answer.usage
conversation.append(choice.message)
conversation.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps({"celsius": 21})})
answer = ask("tooling", conversation, tools=WEATHER)
assert answer.choices[0].finish_reason == "stop", answer
assert '{"celsius": 21}' in answer.choices[0].message.content, answer
print("tool round trip ok")

conversation = [{"role": "user", "content": "Rome"}]
calls = {}
finish = None
ids = set()
for chunk in ask("tooling", conversation, tools=WEATHER, stream=True, stream_options={"include_usage": True}):
    ids.add(chunk.id)
    if not chunk.choices:
        continue
    delta = chunk.choices[0].delta
    for piece in delta.tool_calls or []:
        entry = calls.setdefault(piece.index, {"id": None, "name": "", "arguments": ""})
        entry["id"] = piece.id or entry["id"]
        entry["name"] += piece.function.name or ""
        entry["arguments"] += piece.function.arguments or ""
    finish = chunk.choices[0].finish_reason or finish
assert finish == "tool_calls", finish
assert len(ids) == 1 and next(iter(ids)).startswith("gen-"), ids
streamed = calls[0]
assert streamed["name"] == "get_weather" and json.loads(streamed["arguments"]) == {"city": "Rome"}, streamed
conversation.append({"role": "assistant", "content": None, "tool_calls": [{
    "id": streamed["id"], "type": "function",
    "function": {"name": streamed["name"], "arguments": streamed["arguments"]},
}]})
conversation.append({"role": "tool", "tool_call_id": streamed["id"], "content": "sunny"})
text = ""
for chunk in ask("tooling", conversation, tools=WEATHER, stream=True):
    if chunk.choices and chunk.choices[0].delta.content:
        text += chunk.choices[0].delta.content
assert "the tool returned sunny" in text, text
print("streamed tool round trip ok")

try:
    ask("plain", [{"role": "user", "content": "x"}], tools=WEATHER)
    raise AssertionError("tools on an integration without tools were accepted")
except openai.BadRequestError as error:
    assert error.body["param"] == "tools" and "supports_tools" in error.body["message"], error.body
print("tools on a text-only integration refused ok")
