"""ABL301 sync-gcs-client: google.cloud.storage's sync client inside a coroutine."""

from __future__ import annotations

from flake8_asyncblock.clients import ClientCallRule, SyncClient, methods_of
from flake8_asyncblock.rule import Invalid, Valid

__all__ = ["SyncGcsClient"]

_CLIENT = "google.cloud.storage.Client"
_BUCKET = "google.cloud.storage.Bucket"
_BLOB = "google.cloud.storage.Blob"
#: Listing calls return lazy iterators; `bucket()`/`blob()` build objects locally.
_LOCAL = ("bucket", "blob", "batch", "list_blobs", "list_buckets", "get_service_account_email")

GCS = SyncClient(
    library="google-cloud-storage",
    instead="gcloud-aio-storage and await the call, or await {to_thread_call}",
    makes={
        **dict.fromkeys((_CLIENT, "google.cloud.storage.client.Client"), _CLIENT),
        **dict.fromkeys(
            (f"{_CLIENT}.bucket", f"{_CLIENT}.get_bucket", f"{_CLIENT}.lookup_bucket",
             f"{_CLIENT}.create_bucket", _BUCKET, "google.cloud.storage.bucket.Bucket"),
            _BUCKET,
        ),
        **dict.fromkeys(
            (f"{_BUCKET}.blob", f"{_BUCKET}.get_blob", _BLOB, "google.cloud.storage.blob.Blob"),
            _BLOB,
        ),
    },
    methods={
        **methods_of(_CLIENT, _BUCKET, spare=_LOCAL),
        **methods_of(_BLOB, spare=("generate_signed_url", "from_string")),
    },
)


class SyncGcsClient(ClientCallRule):
    """Flag requests made through google.cloud.storage's sync Client, Bucket and Blob.

    `client.bucket()` and `bucket.blob()` build references without a request,
    and listings return lazy iterators; uploads, downloads and lookups wait.
    """

    code = "ABL301"
    slug = "sync-gcs-client"
    message = "{call}() waits for Cloud Storage on the event loop's thread; use {instead}"
    summary = (
        "requests through a known google.cloud.storage Client, Bucket or Blob "
        "(get_bucket, upload_from_*, download_*, exists, delete, ...) inside an async def."
    )
    why = (
        "Each of these is an HTTPS request, and an upload or download lasts as long as "
        "the object takes to transfer, all on the calling thread."
    )
    fix = None  # the counterpart is another library
    clients = (GCS,)

    valid = (
        Valid("""
            from gcloud.aio.storage import Storage

            async def download(name):
                async with Storage() as storage:
                    return await storage.download("media", name)
        """),
    )
    invalid = (
        Invalid(
            """
            from google.cloud import storage

            client = storage.Client()

            async def download(name):
                return client.bucket("media").blob(name).download_as_bytes()
            """,
            errors=["ABL301:6:12"],
            fixed="""
            from gcloud.aio.storage import Storage

            async def download(name):
                async with Storage() as storage:
                    return await storage.download("media", name)
            """,
        ),
    )
