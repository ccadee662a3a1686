"""A real llama.cpp server: a turn is stored with usage and timings, and the next one continues it."""

import asyncio

from drupe.chat import AnswerFinished, ChatService, ConversationSettings, Target
from drupe.store import open_store


def test_turns_against_llama_cpp_are_stored_with_usage_and_timings(llama_server):
    svc = ChatService(open_store())
    svc.registry.add_provider("llama", "openai", base_url=llama_server.base_url)
    svc.registry.add_model("llama", llama_server.model_id)
    [target] = svc.resolve_targets(None, [])
    assert target == Target("llama", llama_server.model_id)
    conversation = svc.create_conversation(settings=ConversationSettings(max_tokens=12, temperature=0))

    async def turn(text, stream):
        events = [e async for e in svc.send(conversation.id, text, [target], stream=stream)]
        return next(e.answer for e in events if isinstance(e, AnswerFinished))

    first = asyncio.run(asyncio.wait_for(turn("Say hello.", True), 120))
    assert first.status == "complete", first.error
    assert first.content or first.reasoning
    assert first.input_tokens and first.output_tokens and first.output_tokens <= 12
    assert first.time_to_first_token_ms and first.time_to_first_token_ms > 0
    assert first.tokens_per_second and first.tokens_per_second > 0

    second = asyncio.run(asyncio.wait_for(turn("Now say goodbye.", False), 120))
    assert second.status == "complete", second.error
    assert second.parent_id is not None and second.input_tokens > first.input_tokens
    assert [m.role for m in svc.history(conversation.id)] == ["user", "assistant", "user", "assistant"]
