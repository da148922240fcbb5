"""QR benchmark: zxing-cpp alone and zxing-cpp + a simple ladder beside lookup.qr.decode, in the
same run, on the seeded photo set (bench/photoset.py), plus broken files.

    .venv/bin/python -m bench.qr                 # 8 photos per bucket, 12 MP frames
    .venv/bin/python -m bench.qr --per-bucket 3 --quick   # small frames, seconds (the tests use this)

Prints per bucket and overall: read (the receipt's text returned exactly), all (every code on the
photo returned: what a two-code photo needs), wrong (a returned text that is on no QR of the photo,
such as mojibake, or anything read from a photo without a QR: must be 0), median and p95 time per
photo. Our decoder runs twice on every photo and the bench counts the photos whose answers differ
(must be 0), and each broken file must raise a QRDecodeError or read nothing (no other error).
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

import zxingcpp
from PIL import Image, ImageFilter, ImageOps

from bench.photoset import HARD_BUCKETS, PHONE_FRAME, Photo, photos
from bench.stats import percentile
from lookup.catalog import load_catalog
from lookup.province import load_province
from lookup.qr import QRDecodeError, decode, decode_with_trace

WORKING_SIDE = 1600


def zxing_alone(data: bytes) -> list[str]:
    """What a project that just calls zxing-cpp gets: one pass on the photo as it comes."""
    image = Image.open(io.BytesIO(data))
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def zxing_ladder(data: bytes) -> list[str]:
    """zxing-cpp followed by the ladder anyone would write: grey, a working-size copy, contrast
    stretched, sharpened, and the other binariser; stop at the first that reads anything."""
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("L")
    small = image.copy()
    small.thumbnail((WORKING_SIDE, WORKING_SIDE))
    attempts: list[tuple[Image.Image, zxingcpp.Binarizer]] = [
        (image, zxingcpp.Binarizer.LocalAverage),
        (small, zxingcpp.Binarizer.LocalAverage),
        (ImageOps.autocontrast(small, cutoff=1), zxingcpp.Binarizer.LocalAverage),
        (small.filter(ImageFilter.UnsharpMask(radius=2, percent=150)), zxingcpp.Binarizer.LocalAverage),
        (small, zxingcpp.Binarizer.GlobalHistogram),
    ]
    for attempt, binarizer in attempts:
        read = zxingcpp.read_barcodes(attempt, formats=zxingcpp.BarcodeFormat.QRCode, binarizer=binarizer)
        if read:
            return [r.text for r in read]
    return []


READERS: dict[str, Callable[[bytes], list[str]]] = {"zxing": zxing_alone, "zxing+ladder": zxing_ladder,
                                                    "ours": decode}  # fmt: skip


@dataclass
class Tally:
    photos: int = 0
    read: int = 0
    every: int = 0
    wrong: int = 0  # photos with a returned text that is on none of its QR codes
    flips: int = 0  # photos whose answer differed between two runs (ours only)
    seconds: list[float] = field(default_factory=list)

    def add(self, photo: Photo, payloads: list[str], seconds: float) -> None:
        self.photos += 1
        self.seconds.append(seconds)
        self.wrong += any(p not in photo.texts for p in payloads)
        if photo.code is None:
            self.read += not payloads  # a negative is "read" right when nothing is found
            self.every += not payloads
        else:
            self.read += photo.texts[0] in payloads
            self.every += all(text in payloads for text in photo.texts)

    def row(self) -> str:
        median, p95 = statistics.median(self.seconds), percentile(self.seconds, 0.95)
        return (f"{100 * self.read / self.photos:4.0f}% {100 * self.every / self.photos:4.0f}% {self.wrong:3d} "
                f"{1000 * median:5.0f} {1000 * p95:5.0f}")  # fmt: skip


def broken_files(seed: int, good: bytes) -> list[bytes]:
    """Files a chat receives that are not photos, or not whole ones."""
    rng = random.Random(seed)
    gif, bmp, tiny = io.BytesIO(), io.BytesIO(), io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(gif, format="GIF")
    Image.new("RGB", (64, 64), "white").save(bmp, format="BMP")
    Image.new("RGB", (64, 64), "white").save(tiny, format="PNG")
    return [
        b"",
        b"%PDF-1.7 a document",
        b"%!PS-Adobe-3.0\n{ } loop",
        gif.getvalue(),
        bmp.getvalue(),
        bytes(rng.getrandbits(8) for _ in range(4096)),
        good[: len(good) // 2],  # a download cut off
        good[:200],
        b"\xff\xd8\xff" + bytes(rng.getrandbits(8) for _ in range(2048)),  # a JPEG header, then noise
        b"\x89PNG\r\n\x1a\n" + bytes(2048),
        tiny.getvalue()[:-20],  # a PNG without its end
        b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(64),
    ]


def run(per_bucket: int, seed: int, frame: tuple[int, int], out: TextIO = sys.stdout,
        buckets: tuple[str, ...] | None = None) -> dict[str, dict[str, Tally]]:  # fmt: skip
    catalog, province = load_catalog(), load_province("kontum")
    results: dict[str, dict[str, Tally]] = {name: defaultdict(Tally) for name in READERS}
    started = time.perf_counter()
    photo_set = list(photos(catalog, province, per_bucket, seed=seed, frame=frame, buckets=buckets))
    print(
        f"{len(photo_set)} photos ({frame[0]}x{frame[1]}) generated in {time.perf_counter() - started:.0f} s", file=out
    )
    flipped: list[str] = []
    read_by: Counter[str] = Counter()  # the ladder step that first read each photo
    for photo in photo_set:
        for name, reader in READERS.items():
            t = time.perf_counter()
            payloads = reader(photo.data)
            elapsed = time.perf_counter() - t
            for bucket in (photo.bucket, "ALL", "HARD" if photo.bucket in HARD_BUCKETS else None):
                if bucket:
                    results[name][bucket].add(photo, payloads, elapsed)
            if name != "ours":
                continue
            again, step = decode_with_trace(photo.data)
            read_by[step or "nothing"] += 1
            if sorted(again) != sorted(payloads):
                # The same photo twice in a row: the answer must not depend on the machine's load.
                flipped.append(photo.bucket)
                for bucket in (photo.bucket, "ALL"):
                    results[name][bucket].flips += 1
    names = list(READERS)
    print(f"{'':12} | " + " | ".join(f"{name:27}" for name in names), file=out)
    print(f"{'bucket':12} | " + " | ".join(f"{'read  all wrng med  p95':27}" for _ in names), file=out)
    order = [b for b in results["ours"] if b not in ("ALL", "HARD")] + ["HARD", "ALL"]
    for bucket in order:
        print(f"{bucket:12} | " + " | ".join(f"{results[name][bucket].row():27}" for name in names), file=out)
    with_qr = [p for p in photo_set if p.code]
    read = sum(results["ours"][b].read for b in results["ours"] if b not in ("ALL", "HARD", "negative"))
    print(f"ours: {read}/{len(with_qr)} photos with a QR read ({100 * read / max(1, len(with_qr)):.1f} %), "
          f"{results['ours']['ALL'].wrong} with a wrong text, answers differing between two runs: "
          f"{len(flipped)} {flipped or ''}", file=out)  # fmt: skip
    print("ours, first read by: " + ", ".join(f"{step} {n}" for step, n in read_by.most_common()), file=out)
    clean = 0
    files = broken_files(seed, photo_set[0].data)
    for data in files:
        try:
            clean += decode(data) == []  # a damaged PNG Pillow still draws is a picture with no QR
        except QRDecodeError:
            clean += 1
    print(f"broken files handled cleanly (QRDecodeError, or nothing read): {clean}/{len(files)}", file=out)
    results["ours"]["broken"].photos, results["ours"]["broken"].read = len(files), clean
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-bucket", type=int, default=8)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--quick", action="store_true", help="small frames (1200x1600) for a fast run")
    parser.add_argument("--buckets", help="comma-separated bucket names (default: all, and the negatives)")
    args = parser.parse_args(argv)
    buckets = tuple(args.buckets.split(",")) if args.buckets else None
    run(args.per_bucket, args.seed, (1200, 1600) if args.quick else PHONE_FRAME, buckets=buckets)


if __name__ == "__main__":
    main()
