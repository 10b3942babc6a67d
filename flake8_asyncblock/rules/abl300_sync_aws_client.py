"""ABL300 sync-aws-client: boto3/botocore clients and resources called inside a coroutine."""

from __future__ import annotations

from flake8_asyncblock.clients import ClientCallRule, SyncClient, methods_of
from flake8_asyncblock.rule import Invalid, Valid

__all__ = ["SyncAwsClient"]

_CLIENT = "botocore.client.BaseClient"
_RESOURCE = "boto3.resources.base.ServiceResource"
_SESSION = "boto3.session.Session"
_OUTPUT = "botocore.client.GetObjectOutput"
_BODY = "botocore.response.StreamingBody"
_WAITER = "botocore.waiter.Waiter"
#: Resource types made without a request: `dynamodb.Table("t")`, `s3.Bucket("b")`.
_SUB_RESOURCES = (
    "Table", "Bucket", "Object", "ObjectSummary", "Queue", "Topic", "Instance", "Image",
    "Volume", "Vpc", "User", "Role", "Message",
)

AWS = SyncClient(
    library="boto3 / botocore",
    instead="aioboto3 or aiobotocore and await the call",
    makes={
        "boto3.Session": _SESSION,
        "boto3.session.Session": _SESSION,
        _SESSION: _SESSION,
        "boto3.client": _CLIENT,
        f"{_SESSION}.client": _CLIENT,
        "botocore.session.get_session": "botocore.session.Session",
        "botocore.session.Session.create_client": _CLIENT,
        "boto3.resource": _RESOURCE,
        f"{_SESSION}.resource": _RESOURCE,
        **{f"{_RESOURCE}.{name}": _RESOURCE for name in _SUB_RESOURCES},
        f"{_CLIENT}.get_object": _OUTPUT,
        f"{_CLIENT}.get_waiter": _WAITER,
        f"{_OUTPUT}['Body']": _BODY,
        "botocore.client.BaseClient": _CLIENT,
        _BODY: _BODY,
    },
    calls=frozenset(
        {f"{_BODY}.{name}" for name in ("read", "readlines", "readinto")} | {f"{_WAITER}.wait"}
    ),
    methods={
        # Paginators and presigned URLs need no request; `meta`/`exceptions` are attributes.
        **methods_of(_CLIENT, spare=(
            "get_paginator", "get_waiter", "can_paginate", "generate_presigned_url",
            "generate_presigned_post", "close",
        )),
        # Capitalized methods build sub-resources without a request.
        **methods_of(_RESOURCE, spare=(*_SUB_RESOURCES, "get_available_subresources")),
    },
)


class SyncAwsClient(ClientCallRule):
    """Flag requests made through boto3/botocore inside a coroutine.

    Any public method of a known client (`boto3.client(...)`, `Session().client(...)`)
    or resource (`boto3.resource(...)`, `dynamodb.Table(...)`) is a request, but
    for paginator, waiter and presigned-URL factories; `get_object()["Body"].read()`
    and a waiter's `wait()` are reported too.
    """

    code = "ABL300"
    slug = "sync-aws-client"
    message = (
        "{call}() waits for AWS on the event loop's thread; use {instead}, "
        "or await {to_thread_call}"
    )
    summary = (
        "a request through a known boto3/botocore client or resource (any public method but "
        "paginator/waiter/presign factories), StreamingBody.read() and Waiter.wait(), "
        "inside an async def."
    )
    why = (
        "boto3 is synchronous: every method of a client or resource is an HTTPS round trip "
        "to AWS, with retries and backoff, made on the calling thread. aioboto3 and "
        "aiobotocore expose the same API as coroutines."
    )
    # The counterpart is another client (session, `async with`, await on each call),
    # which no per-call rewrite makes; the message also names the thread offload.
    fix = None
    clients = (AWS,)

    valid = (
        Valid("""
            import aioboto3

            async def load(key):
                session = aioboto3.Session()
                async with session.client("s3") as s3:
                    response = await s3.get_object(Bucket="media", Key=key)
                    return await response["Body"].read()
        """),
        Valid("""
            import boto3

            def presign(key):
                s3 = boto3.client("s3")
                return s3.generate_presigned_url("get_object", Params={"Key": key})
        """),
    )
    invalid = (
        Invalid(
            """
            import boto3

            class Store:
                def __init__(self):
                    self.table = boto3.resource("dynamodb").Table("users")

                async def save(self, user):
                    self.table.put_item(Item=user)
            """,
            errors=["ABL300:8:9"],
            fixed="""
            import aioboto3

            class Store:
                def __init__(self):
                    self.session = aioboto3.Session()

                async def save(self, user):
                    async with self.session.resource("dynamodb") as dynamodb:
                        table = await dynamodb.Table("users")
                        await table.put_item(Item=user)
            """,
        ),
        Invalid(
            """
            import boto3

            async def load(key):
                s3 = boto3.client("s3")
                response = s3.get_object(Bucket="media", Key=key)
                return response["Body"].read()
            """,
            errors=["ABL300:5:16", "ABL300:6:12"],
        ),
    )
