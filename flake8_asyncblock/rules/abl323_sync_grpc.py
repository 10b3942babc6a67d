"""ABL323 sync-grpc: RPCs through grpc's sync channels and stubs inside a coroutine."""

from __future__ import annotations

from flake8_asyncblock.clients import ClientCallRule, SyncClient, methods_of
from flake8_asyncblock.rule import Invalid, Valid

__all__ = ["SyncGrpc"]

_CHANNEL = "grpc.Channel"
_STUB = "grpc.SyncStub"
_METHOD = "grpc.MultiCallable"
_FUTURE = "grpc.Future"

GRPC = SyncClient(
    library="grpcio",
    instead="grpc.aio channels (grpc.aio.insecure_channel) and await the call",
    makes={
        **dict.fromkeys(
            ("grpc.insecure_channel", "grpc.secure_channel", "grpc.intercept_channel",
             _CHANNEL),
            _CHANNEL,
        ),
        # A generated `FooStub(channel)` is sync when its channel is.
        f"*Stub({_CHANNEL})": _STUB,
        f"{_STUB}.*": _METHOD,
        **{f"{_CHANNEL}.{kind}": _METHOD for kind in
           ("unary_unary", "unary_stream", "stream_unary", "stream_stream")},
        f"{_METHOD}.future": _FUTURE,
        "grpc.channel_ready_future": _FUTURE,
    },
    calls=frozenset({f"{_METHOD}.with_call", f"{_FUTURE}.result"}),
    methods=methods_of(_STUB),
)


class SyncGrpc(ClientCallRule):
    """Flag RPCs made through a stub built on a sync grpc channel.

    A generated stub class serves both APIs: `FooStub(grpc.insecure_channel(t))`
    is sync, `FooStub(grpc.aio.insecure_channel(t))` is async, so the stub is
    judged by the channel it is given.
    """

    code = "ABL323"
    slug = "sync-grpc"
    message = "{call}() waits for the gRPC server on the event loop's thread; use {instead}"
    summary = (
        "an RPC through a generated stub built on grpc.insecure_channel()/secure_channel(), "
        "its with_call(), and result() of its future() or of grpc.channel_ready_future(), "
        "inside an async def."
    )
    why = (
        "A sync stub's call sends the request and waits for the reply, for as long as the "
        "deadline allows, on the calling thread. grpc.aio channels give the same stubs "
        "awaitable calls."
    )
    fix = None  # the counterpart is another channel, made where the stub is
    clients = (GRPC,)

    valid = (
        Valid("""
            import grpc
            import route_guide_pb2_grpc

            async def feature(point):
                async with grpc.aio.insecure_channel("routes:50051") as channel:
                    stub = route_guide_pb2_grpc.RouteGuideStub(channel)
                    return await stub.GetFeature(point)
        """),
    )
    invalid = (
        Invalid(
            """
            import grpc
            import route_guide_pb2_grpc

            async def feature(point):
                with grpc.insecure_channel("routes:50051") as channel:
                    stub = route_guide_pb2_grpc.RouteGuideStub(channel)
                    return stub.GetFeature(point)
            """,
            errors=["ABL323:7:16"],
            fixed="""
            import grpc
            import route_guide_pb2_grpc

            async def feature(point):
                async with grpc.aio.insecure_channel("routes:50051") as channel:
                    stub = route_guide_pb2_grpc.RouteGuideStub(channel)
                    return await stub.GetFeature(point)
            """,
        ),
    )
