"""RULES: an explicit tuple of every rule class, in code order."""

from __future__ import annotations

from flake8_asyncblock.rule import Rule
from flake8_asyncblock.rules.abl100_blocking_sleep import BlockingSleep
from flake8_asyncblock.rules.abl110_requests_call import RequestsCall
from flake8_asyncblock.rules.abl111_stdlib_http_call import StdlibHttpCall
from flake8_asyncblock.rules.abl112_httpx_sync_call import HttpxSyncCall
from flake8_asyncblock.rules.abl113_urllib3_call import Urllib3Call
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
    UserBlockingCall,
)


def by_code(code: str) -> type[Rule]:
    """Return the rule class for `code` ("ABL100"); raise KeyError if unknown."""
    for rule in RULES:
        if rule.code == code:
            return rule
    raise KeyError(code)
