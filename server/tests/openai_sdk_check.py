"""Drives the OpenAI-compatible API with the official openai package, unchanged: one plain call
and one streamed call with usage. Exits non-zero on any mismatch."""

import os

from openai import OpenAI

client = OpenAI(base_url=os.environ["BASE_URL"], api_key=os.environ["TOKEN"], max_retries=0)
extra = {"args": {"question": "What is two plus two?"}}

answer = client.chat.completions.create(
    model="sdk",
    messages=[{"role": "user", "content": "Be brief."}],
    max_tokens=200,
    extra_body=extra,
)
text = answer.choices[0].message.content
assert text.startswith("Simulated answer from"), text
assert answer.usage.total_tokens > 0, answer.usage
print("non-streaming ok")

streamed = ""
usage = None
for chunk in client.chat.completions.create(
    model="sdk",
    messages=[{"role": "user", "content": "Be brief."}],
    max_tokens=200,
    stream=True,
    stream_options={"include_usage": True},
    extra_body=extra,
):
    if chunk.choices and chunk.choices[0].delta.content:
        streamed += chunk.choices[0].delta.content
    if chunk.usage:
        usage = chunk.usage
assert streamed == text, (streamed, text)
assert usage is not None and usage.completion_tokens > 0, usage
print("streaming ok")
