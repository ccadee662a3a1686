import pytest

from drupe.catalog import default_group, infer_capabilities, is_chat_model


@pytest.mark.parametrize(
    ("model_id", "group"),
    [
        ("gpt-3.5-turbo", "gpt-3.5"),
        ("Qwen/Qwen3-32B", "qwen"),
        ("qwen3:32b", "qwen3"),
        ("gpt2", "gpt2"),
        ("claude-3-5-sonnet-20241022", "claude-3"),
        ("gemini-pro", "gemini-pro"),
        ("llama 3 8b", "llama"),
        ("/models/SmolLM2-135M-Instruct.Q4_1.gguf", "smollm2-135m"),
        ("deepseek_r1", "deepseek-r1"),
    ],
)
def test_default_group(model_id, group):
    assert default_group(model_id) == group


@pytest.mark.parametrize(
    ("model_id", "expected", "absent"),
    [
        ("gpt-4o", {"text", "vision", "function_calling"}, {"embedding"}),
        ("o3-mini", {"text", "reasoning"}, set()),
        ("deepseek-r1", {"text", "reasoning"}, {"vision"}),
        ("text-embedding-3-small", {"embedding"}, {"text"}),
        ("bge-reranker-v2-m3", {"rerank"}, {"text"}),
        ("gemini-2.5-pro", {"text", "vision", "reasoning", "function_calling"}, set()),
        ("gpt-4o-search-preview", {"web_search"}, set()),
        ("gpt2", {"text"}, {"vision", "reasoning"}),
        ("Qwen/Qwen2.5-VL-7B-Instruct", {"vision"}, set()),
    ],
)
def test_infer_capabilities(model_id, expected, absent):
    caps = set(infer_capabilities(model_id))
    assert expected <= caps
    assert not (absent & caps)


def test_embedding_and_rerank_are_not_chat_models():
    assert not is_chat_model(infer_capabilities("text-embedding-3-large"))
    assert is_chat_model(infer_capabilities("gpt-4o"))
