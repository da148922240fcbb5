"""Freed heap pages go back to the system after a big build (lookup.memory)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lookup.memory import release_free_memory

# In a fresh process: 60 MB of heap chunks freed around a few that stay (as a build leaves them),
# then the process's size before and after releasing.
_PROBE = """
import json
from lookup.memory import release_free_memory
def rss():
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS")) / 1024
kept, freed = [], []
for i in range(40_000):
    (kept if i % 64 == 0 else freed).append(bytes(1500) + bytes([i % 256]))
del freed
held = rss()
released = release_free_memory()
print(json.dumps({"held": held, "after": rss(), "released": released}))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc to read the process's size")
def test_the_heap_freed_around_live_objects_goes_back_to_the_system():
    root = Path(__file__).resolve().parents[1]
    argv = [sys.executable, "-c", _PROBE]
    out = subprocess.run(argv, cwd=root, capture_output=True, text=True, check=True)  # noqa: S603 - fixed argv, our code
    sizes = json.loads(out.stdout)
    if not sizes["released"]:
        pytest.skip("no malloc_trim in this C library")
    assert sizes["held"] - sizes["after"] > 30, sizes  # about 60 MB was freed; most of it is given back


def test_releasing_is_harmless_to_live_objects():
    alive = [bytes([i % 256]) * 1000 for i in range(2000)]
    release_free_memory()
    assert all(b == bytes([i % 256]) * 1000 for i, b in enumerate(alive))
