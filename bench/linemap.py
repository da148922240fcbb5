"""A pytest plugin for bench/mutation.py: which test runs which line of the mutated modules.

Loaded with `-p bench.linemap`; TRACUU_LINEMAP_FILES names the modules (os.pathsep between
absolute paths) and TRACUU_LINEMAP_OUT the JSON file written at the end: {test node id: {path:
[lines]}}, with the lines run outside any test (imports at collection) under "", and each test's
seconds under SECONDS ({test node id: seconds}). A mutant then runs first against only the tests
that reach its lines, the quickest first, which kill most mutants in a few seconds instead of the
whole set's minutes; the whole set still judges every mutant those tests let live.

sys.settrace, not coverage.py: no new dependency, and only frames of the few traced files pay for
line events (every other frame returns None at its call).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Generator
from types import FrameType
from typing import Any

import pytest

_FILES = frozenset(p for p in os.environ.get("TRACUU_LINEMAP_FILES", "").split(os.pathsep) if p)
_seen: dict[str, dict[str, set[int]]] = {}
_current = [""]  # the node id of the running test; "" outside tests
_seconds: dict[str, float] = {}
SECONDS = "::seconds"  # the key of the tests' durations in the output: no test node id looks like it


def _record(frame: FrameType) -> None:
    _seen.setdefault(_current[0], {}).setdefault(frame.f_code.co_filename, set()).add(frame.f_lineno)


def _local(frame: FrameType, event: str, arg: Any) -> Any:
    if event == "line":
        _record(frame)
    return _local


def _global(frame: FrameType, event: str, arg: Any) -> Any:
    if frame.f_code.co_filename not in _FILES:
        return None
    _record(frame)
    return _local


def pytest_configure(config: pytest.Config) -> None:
    if _FILES:
        sys.settrace(_global)
        threading.settrace(_global)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    _current[0] = item.nodeid
    # pytest-asyncio and hypothesis may reset the tracer (a debugger check): set it again per test.
    if _FILES:
        sys.settrace(_global)
    started = time.monotonic()
    yield
    _seconds[item.nodeid] = time.monotonic() - started
    _current[0] = ""


def pytest_unconfigure(config: pytest.Config) -> None:
    sys.settrace(None)
    out = os.environ.get("TRACUU_LINEMAP_OUT")
    if out:
        data: dict[str, Any] = {test: {path: sorted(lines) for path, lines in files.items()}
                                for test, files in _seen.items()}  # fmt: skip
        data[SECONDS] = _seconds
        with open(out, "w", encoding="utf-8") as f:
            json.dump(data, f)
