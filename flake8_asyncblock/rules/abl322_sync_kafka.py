"""ABL322 sync-kafka: kafka-python producers and consumers inside a coroutine."""

from __future__ import annotations

from flake8_asyncblock.clients import ClientCallRule, SyncClient, methods_of
from flake8_asyncblock.rule import Invalid, Valid

__all__ = ["SyncKafka"]

_PRODUCER = "kafka.KafkaProducer"
_CONSUMER = "kafka.KafkaConsumer"
_FUTURE = "kafka.producer.future.FutureRecordMetadata"
_CONSUMER_LOCAL = (
    "subscribe", "unsubscribe", "assign", "assignment", "subscription", "pause", "resume",
    "paused", "metrics", "config",
)

KAFKA = SyncClient(
    library="kafka-python",
    instead="aiokafka (AIOKafkaProducer/AIOKafkaConsumer) and await the call",
    makes={
        **dict.fromkeys((_PRODUCER, "kafka.producer.KafkaProducer"), _PRODUCER),
        **dict.fromkeys((_CONSUMER, "kafka.consumer.KafkaConsumer"), _CONSUMER),
        f"{_PRODUCER}.send": _FUTURE,
    },
    # Building either one bootstraps: it connects to the brokers for metadata.
    calls=frozenset({_PRODUCER, _CONSUMER, f"{_FUTURE}.get"}),
    methods={
        **methods_of(_PRODUCER, spare=("metrics", "partitions_for")),
        **methods_of(_CONSUMER, spare=_CONSUMER_LOCAL),
    },
)


class SyncKafka(ClientCallRule):
    """Flag kafka-python clients: connecting, sending, flushing, polling and committing.

    `send()` waits for metadata and buffer space (up to max_block_ms) before it
    returns a future, whose `get()` waits for the broker's acknowledgement.
    """

    code = "ABL322"
    slug = "sync-kafka"
    message = "{call}() waits for Kafka on the event loop's thread; use {instead}"
    summary = (
        "building a kafka.KafkaProducer/KafkaConsumer, and send()/flush()/poll()/commit()/"
        "... on a known one (subscribe/assign/pause are spared), inside an async def."
    )
    why = (
        "kafka-python is synchronous: the constructors contact the brokers, send() can "
        "block for max_block_ms, and poll() waits for records on the calling thread."
    )
    fix = None  # the counterpart is another library
    clients = (KAFKA,)

    valid = (
        Valid("""
            from aiokafka import AIOKafkaProducer

            async def emit(event):
                producer = AIOKafkaProducer(bootstrap_servers="kafka:9092")
                await producer.start()
                try:
                    await producer.send_and_wait("events", event)
                finally:
                    await producer.stop()
        """),
    )
    invalid = (
        Invalid(
            """
            from kafka import KafkaProducer

            producer = KafkaProducer(bootstrap_servers="kafka:9092")

            async def emit(event):
                producer.send("events", event)
                producer.flush()
            """,
            errors=["ABL322:6:5", "ABL322:7:5"],
            fixed="""
            from aiokafka import AIOKafkaProducer

            async def emit(event):
                producer = AIOKafkaProducer(bootstrap_servers="kafka:9092")
                await producer.start()
                try:
                    await producer.send_and_wait("events", event)
                finally:
                    await producer.stop()
            """,
        ),
    )
