"""A record's long texts as one small compressed blob, decoded when one record is read.

The catalog holds tens of thousands of records, and most of their text (documents, steps, fees,
legal basis) is read one record at a time, when a citizen asks about that procedure. Held as
Python objects it is several times its size in memory; as a compressed JSON array per record it is
about a third of its UTF-8 size, and decoding one takes tens of microseconds.
"""

from __future__ import annotations

import json
import zlib

EMPTY = b""  # a blob whose values are all empty: no compressed stream at all
_LEVEL = 9  # blobs are packed when the catalog is built, and unpack as fast at any level
_WBITS = -15  # raw deflate: no zlib header and checksum per record (the blob never leaves the process)


def pack(values: list[object]) -> bytes:
    """One compressed blob for `values` (JSON-serialisable; tuples become arrays)."""
    if all(v is None or v == () or v == [] for v in values):
        return EMPTY
    text = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, _WBITS)
    return compressor.compress(text) + compressor.flush()


def unpack(blob: bytes, size: int) -> list[object]:
    """The `size` values packed in `blob` (JSON arrays come back as lists)."""
    if blob == EMPTY:
        return [None] * size
    return json.loads(zlib.decompress(blob, _WBITS))
