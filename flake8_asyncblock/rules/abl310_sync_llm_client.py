"""ABL310 sync-llm-client: sync LLM and AI SDK clients called inside a coroutine."""

from __future__ import annotations

from flake8_asyncblock.clients import ClientCallRule, SyncClient, methods_of
from flake8_asyncblock.rule import Invalid, Valid

__all__ = ["SyncLlmClient"]

_RAW = ("with_raw_response", "with_streaming_response")


def _resources(owner: str, *paths: str) -> tuple[str, ...]:
    """Spell the resource namespaces of a client: `owner.chat.completions`, ..."""
    spelled = [f"{owner}.{path}" for path in paths]
    return (*spelled, *(f"{name}.{raw}" for name in spelled for raw in _RAW))


_OPENAI = "openai.OpenAI"
_OPENAI_RESOURCES = (
    "completions", "chat.completions", "beta.chat.completions", "embeddings", "files",
    "images", "audio.speech", "audio.transcriptions", "audio.translations", "moderations",
    "models", "fine_tuning.jobs", "batches", "uploads", "responses", "vector_stores",
    "vector_stores.files", "beta.assistants", "beta.threads", "beta.threads.messages",
    "beta.threads.runs",
)
OPENAI = SyncClient(
    library="openai",
    instead="openai.AsyncOpenAI (or AsyncAzureOpenAI) and await the call",
    makes={
        **dict.fromkeys(("openai.OpenAI", "openai.Client", "openai.AzureOpenAI"), _OPENAI),
    },
    calls=frozenset(
        f"openai.{legacy}.create" for legacy in ("ChatCompletion", "Completion", "Embedding")
    ),
    methods=methods_of(
        *_resources(_OPENAI, *_OPENAI_RESOURCES),
        *_resources("openai", *_OPENAI_RESOURCES),  # the module-level default client
        spare=_RAW,
    ),
)

_ANTHROPIC = "anthropic.Anthropic"
ANTHROPIC = SyncClient(
    library="anthropic",
    instead="anthropic.AsyncAnthropic and await the call",
    makes=dict.fromkeys(
        ("anthropic.Anthropic", "anthropic.Client", "anthropic.AnthropicBedrock",
         "anthropic.AnthropicVertex"),
        _ANTHROPIC,
    ),
    methods=methods_of(
        *_resources(
            _ANTHROPIC, "messages", "messages.batches", "completions", "models",
            "beta.messages", "beta.messages.batches", "beta.models",
        ),
        spare=_RAW,
    ),
)

_HF = "huggingface_hub.InferenceClient"
HUGGINGFACE = SyncClient(
    library="huggingface_hub",
    instead="huggingface_hub.AsyncInferenceClient and await the call",
    makes=dict.fromkeys(
        (_HF, "huggingface_hub.inference._client.InferenceClient"), _HF
    ),
    methods=methods_of(_HF, f"{_HF}.chat.completions"),
)

_ROUTER = "litellm.Router"
_LITELLM_CALLS = (
    "completion", "text_completion", "embedding", "image_generation", "transcription",
    "speech", "moderation", "rerank", "responses",
)
LITELLM = SyncClient(
    library="litellm",
    instead="await litellm.a{method}(...)",
    makes={_ROUTER: _ROUTER},
    calls=frozenset(f"litellm.{name}" for name in _LITELLM_CALLS),
)
LITELLM_ROUTER = SyncClient(
    library="litellm",
    instead="await router.a{method}(...)",
    calls=frozenset(
        f"{_ROUTER}.{name}" for name in ("completion", "text_completion", "embedding",
                                         "image_generation", "transcription", "rerank")
    ),
)

_GENAI = "google.genai.Client"
_GENAI_CHAT = "google.genai.chats.Chat"
GOOGLE_GENAI = SyncClient(
    library="google-genai",
    instead="the client's aio side: await client.aio.<same call>",
    makes={_GENAI: _GENAI, f"{_GENAI}.chats.create": _GENAI_CHAT},
    calls=frozenset(
        f"{_GENAI_CHAT}.{name}" for name in ("send_message", "send_message_stream")
    ),
    methods=methods_of(
        *(f"{_GENAI}.{name}" for name in
          ("models", "files", "caches", "batches", "tunings", "operations")),
    ),
)

_GENERATIVE = "google.generativeai.GenerativeModel"
GOOGLE_GENERATIVEAI = SyncClient(
    library="google-generativeai",
    instead="await model.{method}_async(...)",
    makes={_GENERATIVE: _GENERATIVE},
    calls=frozenset(f"{_GENERATIVE}.{name}" for name in ("generate_content", "count_tokens")),
)


class SyncLlmClient(ClientCallRule):
    """Flag requests made through the sync client of an LLM or AI SDK inside a coroutine.

    A model call runs for seconds; through the sync client it runs on the
    loop's thread. Each SDK ships an async client with the same methods.
    """

    code = "ABL310"
    slug = "sync-llm-client"
    message = "{call}() waits for the model API on the event loop's thread; use {instead}"
    summary = (
        "requests through openai.OpenAI/AzureOpenAI, anthropic.Anthropic, "
        "huggingface_hub.InferenceClient, google.genai.Client, google.generativeai "
        "models, and litellm.completion()/embedding()/..., inside an async def."
    )
    why = (
        "A completion or embedding request waits for a remote model, often for many "
        "seconds, and the sync clients wait on the calling thread: every other request "
        "the service is handling stops with it."
    )
    fix = None  # the counterpart is the SDK's async client, not a rewrite of the call
    clients = (
        OPENAI, ANTHROPIC, HUGGINGFACE, LITELLM, LITELLM_ROUTER, GOOGLE_GENAI,
        GOOGLE_GENERATIVEAI,
    )

    valid = (
        Valid("""
            import litellm
            from openai import AsyncOpenAI

            client = AsyncOpenAI()

            async def answer(question):
                reply = await client.chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": question}]
                )
                summary = await litellm.acompletion(model="gpt-4o", messages=[])
                return reply, summary
        """),
        Valid("""
            from google import genai
            from huggingface_hub import AsyncInferenceClient

            async def generate(prompt):
                client = genai.Client()
                reply = await client.aio.models.generate_content(model="gemini", contents=prompt)
                chat = await AsyncInferenceClient().chat_completion(messages=[])
                return reply, chat
        """),
    )
    invalid = (
        Invalid(
            """
            from openai import OpenAI

            client = OpenAI()

            async def answer(question):
                return client.chat.completions.create(model="gpt-4o", messages=question)
            """,
            errors=["ABL310:6:12"],
            fixed="""
            from openai import AsyncOpenAI

            client = AsyncOpenAI()

            async def answer(question):
                return await client.chat.completions.create(model="gpt-4o", messages=question)
            """,
        ),
        Invalid(
            """
            import litellm

            async def embed(texts):
                return litellm.embedding(model="text-embedding-3-small", input=texts)
            """,
            errors=["ABL310:4:12"],
            fixed="""
            import litellm

            async def embed(texts):
                return await litellm.aembedding(model="text-embedding-3-small", input=texts)
            """,
        ),
    )
