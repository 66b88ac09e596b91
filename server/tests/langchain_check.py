"""LangChain's ChatOpenAI pointed at the OpenAI-compatible API: one call and one stream, with the
system message LangChain applications usually lead with. Exits non-zero on any mismatch."""

import os

from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

model = ChatOpenAI(
    model="chain",
    base_url=os.environ["BASE_URL"],
    api_key=os.environ["TOKEN"],
    max_retries=0,
    temperature=0.2,
    max_tokens=200,
    extra_body={"args": {"question": "Help the caller."}},
)
messages = [SystemMessage("You are terse."), HumanMessage("Name a colour.")]

reply = model.invoke(messages)
assert reply.content.startswith("Simulated answer from"), reply
assert reply.content.endswith("Name a colour."), reply
assert reply.usage_metadata["output_tokens"] > 0, reply.usage_metadata
assert reply.response_metadata["id"].startswith("gen-"), reply.response_metadata
print("invoke ok")

streamed = ""
for piece in model.stream(messages):
    streamed += piece.content
assert streamed == reply.content, (streamed, reply.content)
print("stream ok")
