"""ABL321 sync-rabbitmq: pika's BlockingConnection and its channels inside a coroutine."""

from __future__ import annotations

from flake8_asyncblock.clients import ClientCallRule, SyncClient, methods_of
from flake8_asyncblock.rule import Invalid, Valid

__all__ = ["SyncRabbitmq"]

_CONNECTION = "pika.BlockingConnection"
_CHANNEL = "pika.adapters.blocking_connection.BlockingChannel"

PIKA = SyncClient(
    library="pika",
    instead="aio-pika (await aio_pika.connect_robust(...)) and await the call",
    makes={
        **dict.fromkeys(
            (_CONNECTION, "pika.adapters.blocking_connection.BlockingConnection",
             "pika.adapters.BlockingConnection"),
            _CONNECTION,
        ),
        **dict.fromkeys((f"{_CONNECTION}.channel", _CHANNEL), _CHANNEL),
    },
    # Building a BlockingConnection opens the socket and does the AMQP handshake.
    calls=frozenset(
        {_CONNECTION, "pika.adapters.blocking_connection.BlockingConnection",
         "pika.adapters.BlockingConnection"}
    ),
    methods={
        **methods_of(_CONNECTION, spare=("add_callback_threadsafe",)),
        **methods_of(_CHANNEL, spare=("add_on_cancel_callback", "add_on_return_callback")),
    },
)


class SyncRabbitmq(ClientCallRule):
    """Flag pika's blocking adapter: connecting, channel RPCs, publishing and consuming."""

    code = "ABL321"
    slug = "sync-rabbitmq"
    message = "{call}() waits for RabbitMQ on the event loop's thread; use {instead}"
    summary = (
        "pika.BlockingConnection(...), its channel() and the channel's basic_publish/"
        "basic_get/queue_declare/start_consuming/..., inside an async def."
    )
    why = (
        "The blocking adapter does each AMQP method as a round trip on the calling thread, "
        "and start_consuming() never returns while messages keep coming."
    )
    fix = None  # the counterpart is another library
    clients = (PIKA,)

    valid = (
        Valid("""
            import aio_pika

            async def publish(body):
                connection = await aio_pika.connect_robust("amqp://broker/")
                async with connection:
                    channel = await connection.channel()
                    await channel.default_exchange.publish(
                        aio_pika.Message(body=body), routing_key="jobs"
                    )
        """),
    )
    invalid = (
        Invalid(
            """
            import pika

            async def publish(body):
                connection = pika.BlockingConnection(pika.URLParameters("amqp://broker/"))
                channel = connection.channel()
                channel.basic_publish(exchange="", routing_key="jobs", body=body)
            """,
            errors=["ABL321:4:18", "ABL321:5:15", "ABL321:6:5"],
            fixed="""
            import aio_pika

            async def publish(body):
                connection = await aio_pika.connect_robust("amqp://broker/")
                async with connection:
                    channel = await connection.channel()
                    await channel.default_exchange.publish(
                        aio_pika.Message(body=body), routing_key="jobs"
                    )
            """,
        ),
    )
