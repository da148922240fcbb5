"""QR benchmark: plain pyzbar on the raw image vs lookup.qr.decode, on the seeded photo set.

    .venv/bin/python -m bench.qr                 # 8 photos per bucket, 12 MP frames
    .venv/bin/python -m bench.qr --per-bucket 3 --quick   # small frames, seconds (the tests use this)

Prints, per bucket and overall: decode rate, false decodes (a dossier code other than the one on
the receipt, or anything read from a photo without a QR: must be 0), median and p95 time per photo.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field

from PIL import Image
from pyzbar.pyzbar import ZBarSymbol
from pyzbar.pyzbar import decode as zbar_decode

from bench.photoset import HARD_BUCKETS, PHONE_FRAME, Photo, photos
from bench.stats import percentile
from lookup.catalog import load_catalog
from lookup.codes import extract_dossier_code
from lookup.province import load_province
from lookup.qr import decode


def plain_pyzbar(data: bytes) -> list[str]:
    image = Image.open(io.BytesIO(data))
    return [s.data.decode("utf-8", errors="replace") for s in zbar_decode(image, symbols=[ZBarSymbol.QRCODE])]


@dataclass
class Tally:
    photos: int = 0
    read: int = 0
    false: int = 0
    wrong: int = 0  # payloads returned that are not exactly a text on the photo (mojibake, guesses)
    seconds: list[float] = field(default_factory=list)

    def add(self, photo: Photo, payloads: list[str], seconds: float) -> None:
        codes = [c for c in map(extract_dossier_code, payloads) if c]
        self.photos += 1
        self.seconds.append(seconds)
        self.wrong += any(p not in photo.texts for p in payloads)
        if photo.code is None:
            self.read += not payloads  # a negative is "read" right when nothing is found
            self.false += bool(codes)
        else:
            self.read += photo.code in codes
            self.false += any(c != photo.code for c in codes)

    def row(self) -> str:
        median, p95 = statistics.median(self.seconds), percentile(self.seconds, 0.95)
        return (f"{100 * self.read / self.photos:5.0f}% {self.false:3d} {self.wrong:3d} {1000 * median:6.0f} "
                f"{1000 * p95:6.0f}")  # fmt: skip


def run(per_bucket: int, seed: int, frame: tuple[int, int], out=sys.stdout,
        buckets: tuple[str, ...] | None = None) -> dict[str, dict[str, Tally]]:  # fmt: skip
    catalog, province = load_catalog(), load_province("kontum")
    results: dict[str, dict[str, Tally]] = {"pyzbar": defaultdict(Tally), "ladder": defaultdict(Tally)}
    started = time.perf_counter()
    photo_set = list(photos(catalog, province, per_bucket, seed=seed, frame=frame, buckets=buckets))
    print(
        f"{len(photo_set)} photos ({frame[0]}x{frame[1]}) generated in {time.perf_counter() - started:.0f} s", file=out
    )
    for photo in photo_set:
        for name, reader in (("pyzbar", plain_pyzbar), ("ladder", decode)):
            t = time.perf_counter()
            payloads = reader(photo.data)
            elapsed = time.perf_counter() - t
            for bucket in (photo.bucket, "ALL", "HARD" if photo.bucket in HARD_BUCKETS else None):
                if bucket:
                    results[name][bucket].add(photo, payloads, elapsed)
    header = (
        f"{'bucket':12} | {'plain pyzbar: rate false wrong med_ms p95_ms':42} | "
        "lookup.qr.decode: rate false wrong med_ms p95_ms"
    )
    print(header, file=out)
    buckets = [b for b in results["ladder"] if b not in ("ALL", "HARD")] + ["HARD", "ALL"]
    for bucket in buckets:
        print(f"{bucket:12} | {results['pyzbar'][bucket].row():42} | {results['ladder'][bucket].row()}", file=out)
    hard_plain = results["pyzbar"]["HARD"].read / max(1, results["pyzbar"]["HARD"].photos)
    hard_ladder = results["ladder"]["HARD"].read / max(1, results["ladder"]["HARD"].photos)
    ratio = hard_ladder / hard_plain if hard_plain else float("inf")
    print(f"hard buckets: ladder/plain decode-rate ratio {ratio:.2f}", file=out)
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
