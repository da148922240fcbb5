"""Long texts of a few neighbouring records as one compressed blob, decoded when one is read.

The catalog holds tens of thousands of records, and most of their text (documents, steps, fees,
legal basis) is read one record at a time, when a citizen asks about that procedure. Held as Python
objects it is several times its size in memory. Compressed per record it is about a third of its
UTF-8 size; compressed by blocks of neighbouring records (the catalog lists a field's procedures
together, and they share wording) about a seventh, and a scan of the whole catalog (the search
index is built from every record's texts) pays the decompressor's set-up once per block instead
of once per record. A block of 16 decompresses in a few tens of microseconds.
"""

from __future__ import annotations

import json
import zlib

EMPTY = b""  # a block whose values are all empty: no compressed stream at all
_LEVEL = 9  # blocks are packed when the catalog is built, and unpack as fast at any level
_WBITS = -15  # raw deflate: no zlib header and checksum per block (a block never leaves the catalog)


def _empty(value: object) -> bool:
    return value is None or value == () or value == []


def pack(rows: list[list[object]]) -> bytes:
    """One compressed blob for the rows of values of a few records (JSON-serialisable; tuples
    become arrays), a line of JSON per record, so that reading one record parses only its line."""
    if all(_empty(v) for row in rows for v in row):
        return EMPTY
    text = "\n".join(json.dumps(row, ensure_ascii=False, separators=(",", ":")) for row in rows).encode("utf-8")
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, _WBITS)
    return compressor.compress(text) + compressor.flush()


def unpack(blob: bytes) -> list[bytes] | None:
    """The JSON line (UTF-8) of each record packed in `blob`; None when all its values are empty.
    Left undecoded: a reader of one record decodes its line only."""
    if blob == EMPTY:
        return None
    return zlib.decompress(blob, _WBITS).split(b"\n")
