"""libraries.py names tools that exist, and rules suggest the module's own library's tools."""

from __future__ import annotations

import ast
import asyncio
import importlib
import inspect
import sys
import textwrap

import pytest

from flake8_asyncblock import engine
from flake8_asyncblock.libraries import LIBRARIES, AsyncLibrary
from flake8_asyncblock.rules.abl121_sync_path_io import SyncPathIo
from flake8_asyncblock.rules.abl124_file_metadata_call import FileMetadataCall
from flake8_asyncblock.settings import Settings

#: Names the table may suggest that appeared in a later Python than the oldest supported.
_ADDED = {"asyncio.Barrier": (3, 11)}


def _resolve(name: str) -> object:
    module_name, _, rest = name.partition(".")
    value: object = importlib.import_module(module_name)
    for part in rest.split("."):
        value = getattr(value, part)
    return value


def _is_coroutine_function(value: object) -> bool:
    # asyncio.sleep and others are plain `async def`; trio and anyio ones may be wrapped.
    return inspect.iscoroutinefunction(value) or asyncio.iscoroutinefunction(value)


@pytest.mark.parametrize("library", LIBRARIES, ids=lambda library: library.name)
def test_every_named_tool_exists_in_the_library(library: AsyncLibrary) -> None:
    names = [library.sleep, library.to_thread, library.run, library.run_process,
             library.run_shell, library.task_queue, *library.worker_runners]
    if library.open_file is not None:
        names.append(library.open_file)
    names += [f"{library.name}.{kind}" for kind in library.primitives]
    for name in names:
        if sys.version_info < _ADDED.get(name, (3,)):
            continue
        assert name.partition(".")[0] == library.name, name
        assert callable(_resolve(name)), name


@pytest.mark.parametrize("library", LIBRARIES, ids=lambda library: library.name)
def test_coroutine_functions_are_coroutine_functions(library: AsyncLibrary) -> None:
    for name in sorted(library.coroutine_functions):
        assert _is_coroutine_function(_resolve(name)), name
    assert library.sleep in library.coroutine_functions
    assert library.to_thread in library.coroutine_functions


def test_primitives_fall_back_to_asyncio_where_the_library_has_none() -> None:
    by_name = {library.name: library for library in LIBRARIES}
    assert by_name["trio"].primitive("Lock") == "trio.Lock"
    assert by_name["trio"].primitive("Barrier") == "asyncio.Barrier"
    assert by_name["anyio"].primitive("Event") == "anyio.Event"


def test_the_module_library_is_picked_trio_first() -> None:
    assert [library.name for library in LIBRARIES] == ["trio", "anyio", "asyncio"]


@pytest.mark.parametrize("library", LIBRARIES, ids=lambda library: library.name)
def test_the_async_path_suggested_is_a_class_of_a_library_the_module_can_run(library: AsyncLibrary) -> None:
    suggested = library.async_path()
    assert inspect.isclass(_resolve(suggested)), suggested
    # trio.Path only runs under trio; asyncio modules are pointed at anyio's, which runs on asyncio.
    assert suggested.partition(".")[0] == ("anyio" if library.name == "asyncio" else library.name)


@pytest.mark.parametrize(("library", "suggested"), [("trio", "trio.Path"), ("anyio", "anyio.Path"),
                                                    ("asyncio", "anyio.Path")])
def test_path_rules_suggest_the_modules_own_async_path(library: str, suggested: str) -> None:
    source = textwrap.dedent(f"""
        import {library}
        import os
        from pathlib import Path

        async def load(name):
            os.path.exists(name)
            return Path(name).read_text()
    """)
    found = engine.check(ast.parse(source), [FileMetadataCall, SyncPathIo], Settings(), source)
    assert [v.text.rpartition(" or ")[2] for v in found] == [suggested, suggested]
