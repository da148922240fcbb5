"""Give the heap's freed pages back to the system after a big one-off build.

Building the search index over a big catalog allocates and frees a few hundred MB of temporaries:
each record's texts decoded, the posting arrays sorted whole. CPython hands back its small-object
arenas when they empty, but glibc keeps the pages of freed heap chunks mapped whenever something
still lives above them, so the process stays at its build-time size (about 80 MB too many at ten
times the catalog) until `malloc_trim` releases them. Where there is no glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache


@cache
def _trim() -> ctypes._CFuncPtr | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # no C library to load, or one without malloc_trim (musl, macOS)
        return None


def release_free_memory() -> bool:
    """Collect garbage, then return the heap's free pages to the system; False where it cannot."""
    gc.collect()
    trim = _trim()
    if trim is None:
        return False
    trim(0)
    return True
