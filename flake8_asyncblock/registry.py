"""RULES: an explicit tuple of every rule class, in code order."""

from __future__ import annotations

from flake8_asyncblock.rule import Rule
from flake8_asyncblock.rules.abl100_blocking_sleep import BlockingSleep
from flake8_asyncblock.rules.abl110_requests_call import RequestsCall
from flake8_asyncblock.rules.abl111_stdlib_http_call import StdlibHttpCall
from flake8_asyncblock.rules.abl112_httpx_sync_call import HttpxSyncCall
from flake8_asyncblock.rules.abl113_urllib3_call import Urllib3Call
from flake8_asyncblock.rules.abl114_stdlib_protocol_client import StdlibProtocolClient
from flake8_asyncblock.rules.abl115_blocking_socket import BlockingSocket
from flake8_asyncblock.rules.abl120_sync_file_io import SyncFileIo
from flake8_asyncblock.rules.abl121_sync_path_io import SyncPathIo
from flake8_asyncblock.rules.abl122_blocking_shutil import BlockingShutil
from flake8_asyncblock.rules.abl123_directory_scan import DirectoryScan
from flake8_asyncblock.rules.abl124_file_metadata_call import FileMetadataCall
from flake8_asyncblock.rules.abl130_coroutine_in_executor import CoroutineInExecutor
from flake8_asyncblock.rules.abl131_coroutine_lambda_in_executor import CoroutineLambdaInExecutor
from flake8_asyncblock.rules.abl140_spin_loop import SpinLoop
from flake8_asyncblock.rules.abl141_while_without_await import WhileWithoutAwait
from flake8_asyncblock.rules.abl142_large_range_without_await import LargeRangeWithoutAwait
from flake8_asyncblock.rules.abl150_blocking_subprocess import BlockingSubprocess
from flake8_asyncblock.rules.abl151_blocking_shell_command import BlockingShellCommand
from flake8_asyncblock.rules.abl152_child_process_wait import ChildProcessWait
from flake8_asyncblock.rules.abl153_os_spawn_wait import OsSpawnWait
from flake8_asyncblock.rules.abl154_os_popen import OsPopen
from flake8_asyncblock.rules.abl160_threading_primitive_wait import ThreadingPrimitiveWait
from flake8_asyncblock.rules.abl161_thread_join import ThreadJoin
from flake8_asyncblock.rules.abl162_sync_queue_wait import SyncQueueWait
from flake8_asyncblock.rules.abl163_future_result import FutureResult
from flake8_asyncblock.rules.abl164_threading_lock_across_await import ThreadingLockAcrossAwait
from flake8_asyncblock.rules.abl170_sync_sqlite import SyncSqlite
from flake8_asyncblock.rules.abl171_sync_postgres import SyncPostgres
from flake8_asyncblock.rules.abl172_sync_mysql import SyncMysql
from flake8_asyncblock.rules.abl173_sync_redis import SyncRedis
from flake8_asyncblock.rules.abl174_sync_sqlalchemy import SyncSqlalchemy
from flake8_asyncblock.rules.abl175_sync_mongodb import SyncMongodb
from flake8_asyncblock.rules.abl176_sync_elasticsearch import SyncElasticsearch
from flake8_asyncblock.rules.abl177_sync_cassandra import SyncCassandra
from flake8_asyncblock.rules.abl178_sync_clickhouse import SyncClickhouse
from flake8_asyncblock.rules.abl180_nested_event_loop import NestedEventLoop
from flake8_asyncblock.rules.abl190_blocking_stdin import BlockingStdin
from flake8_asyncblock.rules.abl200_blocking_sleep_in_helper import BlockingSleepInHelper
from flake8_asyncblock.rules.abl210_network_call_in_helper import NetworkCallInHelper
from flake8_asyncblock.rules.abl220_file_io_in_helper import FileIoInHelper
from flake8_asyncblock.rules.abl250_subprocess_in_helper import SubprocessInHelper
from flake8_asyncblock.rules.abl260_thread_wait_in_helper import ThreadWaitInHelper
from flake8_asyncblock.rules.abl270_sync_database_in_helper import SyncDatabaseInHelper
from flake8_asyncblock.rules.abl290_stdin_read_in_helper import StdinReadInHelper
from flake8_asyncblock.rules.abl298_cached_blocking_helper import CachedBlockingHelper
from flake8_asyncblock.rules.abl299_user_blocking_call_in_helper import UserBlockingCallInHelper
from flake8_asyncblock.rules.abl300_sync_aws_client import SyncAwsClient
from flake8_asyncblock.rules.abl301_sync_gcs_client import SyncGcsClient
from flake8_asyncblock.rules.abl310_sync_llm_client import SyncLlmClient
from flake8_asyncblock.rules.abl320_sync_ssh_client import SyncSshClient
from flake8_asyncblock.rules.abl321_sync_rabbitmq import SyncRabbitmq
from flake8_asyncblock.rules.abl322_sync_kafka import SyncKafka
from flake8_asyncblock.rules.abl323_sync_grpc import SyncGrpc
from flake8_asyncblock.rules.abl900_user_blocking_call import UserBlockingCall

__all__ = ["RULES", "by_code"]

#: Add a new rule's class here; tests/asyncblock/test_registry.py checks that
#: every module in rules/ contributes exactly one entry.
RULES: tuple[type[Rule], ...] = (
    BlockingSleep,
    RequestsCall,
    StdlibHttpCall,
    HttpxSyncCall,
    Urllib3Call,
    StdlibProtocolClient,
    BlockingSocket,
    SyncFileIo,
    SyncPathIo,
    BlockingShutil,
    DirectoryScan,
    FileMetadataCall,
    CoroutineInExecutor,
    CoroutineLambdaInExecutor,
    SpinLoop,
    WhileWithoutAwait,
    LargeRangeWithoutAwait,
    BlockingSubprocess,
    BlockingShellCommand,
    ChildProcessWait,
    OsSpawnWait,
    OsPopen,
    ThreadingPrimitiveWait,
    ThreadJoin,
    SyncQueueWait,
    FutureResult,
    ThreadingLockAcrossAwait,
    SyncSqlite,
    SyncPostgres,
    SyncMysql,
    SyncRedis,
    SyncSqlalchemy,
    SyncMongodb,
    SyncElasticsearch,
    SyncCassandra,
    SyncClickhouse,
    NestedEventLoop,
    BlockingStdin,
    BlockingSleepInHelper,
    NetworkCallInHelper,
    FileIoInHelper,
    SubprocessInHelper,
    ThreadWaitInHelper,
    SyncDatabaseInHelper,
    StdinReadInHelper,
    CachedBlockingHelper,
    UserBlockingCallInHelper,
    SyncAwsClient,
    SyncGcsClient,
    SyncLlmClient,
    SyncSshClient,
    SyncRabbitmq,
    SyncKafka,
    SyncGrpc,
    UserBlockingCall,
)


def by_code(code: str) -> type[Rule]:
    """Return the rule class for `code` ("ABL100"); raise KeyError if unknown."""
    for rule in RULES:
        if rule.code == code:
            return rule
    raise KeyError(code)
