"""ABL176 sync-elasticsearch: the synchronous Elasticsearch client inside a coroutine."""

from __future__ import annotations

from flake8_asyncblock.clients import ClientCallRule, SyncClient, methods_of
from flake8_asyncblock.rule import Invalid, Valid

__all__ = ["SyncElasticsearch"]

_CLIENT = "elasticsearch.Elasticsearch"
#: Namespaced APIs: `es.indices.create(...)`.
_NAMESPACES = (
    "indices", "cluster", "cat", "nodes", "ingest", "snapshot", "tasks", "security", "ml",
    "transform", "sql", "esql", "async_search", "ilm", "license", "watcher", "enrich",
)
_HELPERS = ("bulk", "streaming_bulk", "parallel_bulk", "scan", "reindex")

ELASTICSEARCH = SyncClient(
    library="elasticsearch",
    instead="elasticsearch.AsyncElasticsearch and await the call",
    makes=dict.fromkeys((_CLIENT, "elasticsearch.client.Elasticsearch"), _CLIENT),
    methods=methods_of(
        _CLIENT, *(f"{_CLIENT}.{name}" for name in _NAMESPACES), spare=("options", "close"),
    ),
)
HELPERS = SyncClient(
    library="elasticsearch.helpers",
    instead="elasticsearch.helpers.async_{method}() with an AsyncElasticsearch",
    calls=frozenset(f"elasticsearch.helpers.{name}" for name in _HELPERS),
)


class SyncElasticsearch(ClientCallRule):
    """Flag requests made through the synchronous Elasticsearch client or its helpers."""

    code = "ABL176"
    slug = "sync-elasticsearch"
    message = "{call}() waits for Elasticsearch on the event loop's thread; use {instead}"
    summary = (
        "any API of a known elasticsearch.Elasticsearch client (search, index, get, "
        "es.indices.*, ...) and elasticsearch.helpers.bulk()/scan()/..., inside an async def."
    )
    why = (
        "Each API call is an HTTP request the sync client waits for on the calling thread; "
        "a search or bulk load can take seconds. AsyncElasticsearch has the same methods."
    )
    fix = None  # the counterpart is another client
    clients = (ELASTICSEARCH, HELPERS)

    valid = (
        Valid("""
            from elasticsearch import AsyncElasticsearch
            from elasticsearch.helpers import async_bulk

            es = AsyncElasticsearch("http://search:9200")

            async def index_all(docs):
                await async_bulk(es, docs)
                return await es.search(index="docs", query={"match_all": {}})
        """),
    )
    invalid = (
        Invalid(
            """
            from elasticsearch import Elasticsearch

            es = Elasticsearch("http://search:9200")

            async def search(text):
                return es.search(index="docs", query={"match": {"body": text}})
            """,
            errors=["ABL176:6:12"],
            fixed="""
            from elasticsearch import AsyncElasticsearch

            es = AsyncElasticsearch("http://search:9200")

            async def search(text):
                return await es.search(index="docs", query={"match": {"body": text}})
            """,
        ),
    )
