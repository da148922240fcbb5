"""Reading QR codes from phone photos of receipts.

`decode(data)` returns every QR payload found in an image file's bytes. Real photos (dim offices,
slanted, blurred, screenshots of screens) defeat a single zbar pass, so a ladder of attempts runs
from cheap to expensive; after the first that reads anything only the cheap ones still run, for
a second code on the same photo. Bad input raises a typed error; the pixel limit is checked from
the header, before any pixel is decoded (decompression bombs).
"""

from __future__ import annotations

import ctypes
import io
import math
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import zxingcpp
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError
from pyzbar import pyzbar as zbar_module
from pyzbar import wrapper as zbar_wrapper
from pyzbar.pyzbar import ZBarSymbol
from pyzbar.pyzbar import decode as zbar_decode
from pyzbar.wrapper import ZBarConfig

from lookup.qr_grid import regridded

MAX_PIXELS = 50_000_000  # a 48 MP phone photo passes; a bomb does not
WORKING_SIDE = 1600  # long side that keeps a receipt QR's modules several pixels wide
SMALL_SIDE = 700  # below this, upscaling helps zbar find the finder patterns
MAX_REGRIDS = 2  # symbols per image to re-sample (~25 ms each): a receipt has one QR, a photo rarely 3
# The ladder's budget is counted in work, not time, so the same photo runs the same steps and gets
# the same answer on a busy machine as on an idle one (a CPU-time budget flipped photos at its edge
# between runs). A unit is a millisecond of this machine's idle CPU; each step's cost is the
# megapixels it processes times what each operation measured per megapixel (2-core dev box):
MS_PER_MP_ZBAR = 19.0  # zbar's scan of a grey image
MS_PER_MP_ZXING = 3.0  # zxing-cpp's read_barcodes
MS_PER_MP_FLATTEN = 19.0  # _flatten_light (box blur, divide, percentiles)
MS_PER_MP_DECODE = 6.0  # a full-resolution JPEG decode and grey conversion
MS_PER_MP_UNSHARP = 9.0
MS_PER_MP_MEDIAN = 300.0  # a 5x5 median filter
MS_PER_MP_ROTATE = 4.0
MS_PER_MP_BOX = 2.0  # an area-averaging resize
BOX_SIDE = 800
# No new step starts once this much work is done (~0.2 s idle; p95 target 0.4 s). For a 12 MP photo
# that ends the ladder after zxing at full resolution: on bench/qr.py (seed 2026, 8 a bucket; seed 99,
# 5 a hard bucket) none of the zbar variants after it was the first to read a photo.
DEFAULT_BUDGET_UNITS = 200.0
WALL_CAP_SECONDS = 2.0  # safety net only: a machine so loaded that a photo takes this long gets no more steps


class QRDecodeError(ValueError):
    """The bytes cannot be read as a picture to look for QR codes in."""


class NotAnImage(QRDecodeError):
    pass


class TruncatedImage(QRDecodeError):
    pass


class ImageTooLarge(QRDecodeError):
    pass


@dataclass(frozen=True)
class _Symbol:
    """One decoded symbol: its payload bytes as the decoder read them (error-corrected, so the same
    symbol gives the same bytes in either decoder), the text, and whether that text is certain.
    A payload without an ECI header that is not valid UTF-8 could be in any legacy charset (Big5,
    Shift-JIS, Latin-1): guessing one is how a Vietnamese UTF-8 text came back as 'M瓊 HS:'. Such a
    text is not trusted: its undecodable bytes are shown as U+FFFD rather than as invented letters,
    and another decoder's certain reading of the same bytes wins."""

    raw: bytes
    text: str
    trusted: bool


def _from_bytes(raw: bytes, declared_text: str | None = None) -> _Symbol:
    """UTF-8 strictly first (Vietnamese payloads are UTF-8, with or without ECI); else the text a
    decoder built from an ECI header it honoured (`declared_text`); else an untrusted rendering."""
    try:
        return _Symbol(raw, raw.decode("utf-8"), True)
    except UnicodeDecodeError:
        pass
    if declared_text is not None:
        return _Symbol(raw, declared_text, True)
    return _Symbol(raw, raw.decode("utf-8", errors="replace"), False)


def _zbar_binary_config() -> tuple[int, int, int] | None:
    """(symbol, config, value) for zbar's 'qrcode.binary': hand back the payload's bytes instead of
    text converted from a guessed charset. zbar >= 0.23 has it; pyzbar's enum predates it, so ask
    the library to parse the name."""
    symbol, config, value = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
    if zbar_wrapper.zbar_parse_config(b"qrcode.binary", ctypes.byref(symbol), ctypes.byref(config),
                                      ctypes.byref(value)):  # fmt: skip
        return None
    return symbol.value, config.value, value.value


# pyzbar's helpers are private: should a release drop them, zbar's text mode (and distrust of any
# non-ASCII it returns) takes over rather than an AttributeError.
_PYZBAR_HELPERS = ("_pixel_data", "_image_scanner", "_image", "_decode_symbols", "_symbols_for_image", "_FOURCC")
_ZBAR_BINARY = _zbar_binary_config() if all(hasattr(zbar_module, name) for name in _PYZBAR_HELPERS) else None


def _zbar_raw(image: Image.Image) -> list[bytes]:
    """pyzbar.decode with the scanner in binary mode (pyzbar 0.1.9 offers no way to set it, so its
    own scanner and image helpers are driven here, as its decode() does)."""
    if _ZBAR_BINARY is None:
        return [symbol.data for symbol in zbar_decode(image, symbols=[ZBarSymbol.QRCODE])]
    pixels, width, height = zbar_module._pixel_data(image)
    with zbar_module._image_scanner() as scanner:
        for symbol in ZBarSymbol:
            zbar_wrapper.zbar_image_scanner_set_config(scanner, symbol, ZBarConfig.CFG_ENABLE,
                                                       int(symbol == ZBarSymbol.QRCODE))  # fmt: skip
        zbar_wrapper.zbar_image_scanner_set_config(scanner, *_ZBAR_BINARY)
        with zbar_module._image() as zimage:
            zbar_wrapper.zbar_image_set_format(zimage, zbar_module._FOURCC["L800"])
            zbar_wrapper.zbar_image_set_size(zimage, width, height)
            zbar_wrapper.zbar_image_set_data(zimage, ctypes.cast(pixels, ctypes.c_void_p), len(pixels), None)
            if zbar_wrapper.zbar_scan_image(scanner, zimage) < 0:
                return []
            return [found.data for found in zbar_module._decode_symbols(zbar_module._symbols_for_image(zimage))]


def _zbar(image: Image.Image) -> list[_Symbol]:
    if _ZBAR_BINARY is None:
        # An old zbar has already turned the bytes into text from a guessed charset: only plain
        # ASCII is certain, anything else waits for zxing's reading of the same symbol.
        return [_Symbol(raw, raw.decode("utf-8", errors="replace"), raw.isascii()) for raw in _zbar_raw(image)]
    return [_from_bytes(raw) for raw in _zbar_raw(image)]


def _zxing_results(
    image: Image.Image, return_errors: bool = False, binarizer: zxingcpp.Binarizer = zxingcpp.Binarizer.LocalAverage
) -> list[zxingcpp.Result]:
    qr = zxingcpp.BarcodeFormat.QRCode
    return zxingcpp.read_barcodes(image, formats=qr, return_errors=return_errors, binarizer=binarizer)


def _zxing_fixed(image: Image.Image) -> list[_Symbol]:
    """zxing with one global threshold instead of its local-average binariser: on a blurred photo
    the local average follows the blur and breaks module edges apart, while the paper's white and
    the ink's black still sit either side of mid-grey (bench blur photos: 7 of 8 read against 5)."""
    return _valid_symbols(_zxing_results(image, binarizer=zxingcpp.Binarizer.FixedThreshold))


def _zxing_symbol(result: zxingcpp.Result) -> _Symbol:
    # Symbology identifier ]Q2 says the symbol carries an ECI header, whose charset zxing applied.
    declared = result.text if result.symbology_identifier.endswith("2") else None
    return _from_bytes(result.bytes, declared)


def _valid_symbols(results: list[zxingcpp.Result]) -> list[_Symbol]:
    return [_zxing_symbol(r) for r in results if r.valid]


def _zxing(image: Image.Image) -> list[_Symbol]:
    """zxing-cpp's local binariser and sampling grid read blurred, grainy and slanted codes that zbar's
    line scanner misses, in a few milliseconds at working size (figures in README). It honours ECI
    and decodes UTF-8 itself.

    When it finds a symbol (finder patterns, version and format read) but the data fails error
    correction, the grid was bent (crumpled paper, steep angle): sample the modules ourselves
    along the bend (lookup.qr_grid) and decode the clean rendering."""
    results = _zxing_results(image, return_errors=True)
    found = _valid_symbols(results)
    # Centres of the symbols already read or re-sampled: zxing may report one symbol once per
    # finder-pattern triple, and a second code on the photo must not be skipped for the first.
    seen = [_centre(r) for r in results if r.valid]
    regrids = 0
    for result in results:
        version = (result.extra or {}).get("Version", "")  # None on some errored results
        if result.valid or not version.isdigit():
            continue  # Micro QR guesses from a lone finder pattern: receipts carry full QR codes
        centre = _centre(result)
        if regrids == MAX_REGRIDS or any(math.dist(centre, other) < 16 for other in seen):
            continue
        seen.append(centre)
        regrids += 1
        at = result.position
        corners = [(p.x, p.y) for p in (at.top_left, at.top_right, at.bottom_right, at.bottom_left)]
        for clean in [
            *_close_ups(image, corners, 17 + 4 * int(version)),
            *regridded(image, corners, 17 + 4 * int(version)),
        ]:
            # Both decoders: a rendering with a few wrong modules in a finder pattern is found by
            # one and not the other, and the one that decodes has checked it with error correction.
            if read := _valid_symbols(_zxing_results(clean)) or _zbar(clean):
                found += read
                break
    return found


def _close_ups(image: Image.Image, corners: list[tuple[float, float]], modules: int) -> list[Image.Image]:
    """The symbol's own surroundings, enlarged to ~4 px a module and sharpened at module scale: a
    code of 2-3 px modules (a receipt far off in a 12 MP frame) is found, but its modules blur
    into each other at the decoder's sampling points (bench 'small': one such photo read by this
    alone)."""
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    side = max(max(xs) - min(xs), max(ys) - min(ys))
    margin = side / 3
    box = (int(max(0, min(xs) - margin)), int(max(0, min(ys) - margin)), int(max(xs) + margin), int(max(ys) + margin))
    crop = image.crop(box)
    module = side / modules
    if module < 4:
        scale = 4 / max(module, 0.5)
        crop = crop.resize((round(crop.width * scale), round(crop.height * scale)), Image.Resampling.BICUBIC)
    return [crop.filter(ImageFilter.UnsharpMask(radius=4, percent=200, threshold=0)), crop]


def _centre(result: zxingcpp.Result) -> tuple[float, float]:
    at = result.position
    corners = (at.top_left, at.top_right, at.bottom_right, at.bottom_left)
    return sum(p.x for p in corners) / 4, sum(p.y for p in corners) / 4


# The formats a phone sends, told by their first bytes before Pillow sees anything: Pillow would
# otherwise open whatever it recognises, PostScript included, which it hands to Ghostscript (a child
# process with no time limit). HEIC is not among them: no library we already trust decodes it.
_MAGIC: tuple[tuple[str, Callable[[bytes], bool]], ...] = (
    ("JPEG", lambda head: head.startswith(b"\xff\xd8\xff")),
    ("PNG", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    ("WEBP", lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP"),
)
PHONE_FORMATS = tuple(name for name, _ in _MAGIC)


def image_format(data: bytes) -> str:
    """JPEG, PNG or WEBP from the file's magic bytes; raises NotAnImage for anything else."""
    head = data[:16]
    for name, matches in _MAGIC:
        if matches(head):
            return name
    raise NotAnImage("not a JPEG, PNG or WebP photo" if data else "empty file")


def _pillow_open(data: bytes) -> Image.Image:
    """Pillow restricted to the format the magic bytes named (and to phone formats whatever it guesses)."""
    return Image.open(io.BytesIO(data), formats=[image_format(data)])


# What Pillow's decoders raise on a damaged file, besides OSError (struct errors on short
# segments, ValueError and EOFError from some plugins).
_CORRUPT = (OSError, SyntaxError, ValueError, EOFError, struct.error)


def _open(data: bytes, draft_side: int | None = None) -> Image.Image:
    """The decoded image. With `draft_side`, a JPEG is decoded straight at the smallest DCT scale
    (1/2, 1/4, 1/8) whose long side is still at least that: a 12 MP photo then costs a quarter of
    the decoding time, and the full resolution is decoded only for the steps that need it."""
    try:
        image = _pillow_open(data)
    except UnidentifiedImageError as exc:
        raise NotAnImage("the file is not an image Pillow can read") from exc
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(str(exc)) from exc
    except QRDecodeError:
        raise
    except _CORRUPT as exc:
        # A JPEG header followed by garbage fails while Pillow reads the header's segments.
        raise TruncatedImage(f"the image data is incomplete or corrupt: {exc}") from exc
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageTooLarge(f"{width}x{height} pixels is over the {MAX_PIXELS:,} pixel limit")
    if draft_side and image.format == "JPEG" and max(width, height) > draft_side:
        ratio = draft_side / max(width, height)
        image.draft("RGB", (math.ceil(width * ratio), math.ceil(height * ratio)))
    try:
        image.load()
    except _CORRUPT as exc:
        raise TruncatedImage(f"the image data is incomplete or corrupt: {exc}") from exc
    return image


def _gray(image: Image.Image) -> Image.Image:
    image = ImageOps.exif_transpose(image)
    if image.mode.startswith("I"):
        # 16-bit grey PNG (I;16, I;16B, or I): convert("L") clips every value above 255 to white,
        # so the whole code vanished. Scale the 16-bit range down instead; 8-bit data kept in a
        # 32-bit mode (max <= 255) is left as it is.
        pixels = np.asarray(image, dtype=np.float64)
        if pixels.size and pixels.max() > 255:
            pixels = pixels / 257.0
        return Image.fromarray(np.clip(pixels, 0, 255).round().astype(np.uint8))
    if image.mode in ("RGBA", "LA", "P"):
        # Transparent screenshots: flatten on white, as a viewer shows them.
        background = Image.new("RGB", image.size, "white")
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        image = background
    return image.convert("L")


def _fit(image: Image.Image, side: int) -> Image.Image:
    if max(image.size) <= side:
        return image
    scaled = image.copy()
    scaled.thumbnail((side, side), Image.Resampling.LANCZOS)
    return scaled


def _flatten_light(image: Image.Image) -> Image.Image:
    """Divide by a blurred copy: removes uneven light, shadows and soft glare, then stretches
    contrast. The blur spans about two modules of a receipt QR at working size (12 px of 1600):
    a wider one leaves a halo along the hard edge of a phone's shadow across the code, which
    measured on bench/qr.py photos cost 3 of 8 'uneven' ones; dim ones read as well as before."""
    radius = max(6, max(image.size) // 133)
    background = np.asarray(image.filter(ImageFilter.BoxBlur(radius)), dtype=np.float32) + 1.0
    ratio = np.asarray(image, dtype=np.float32) / background
    low, high = np.percentile(ratio, (1, 99))
    stretched = np.clip((ratio - low) / max(high - low, 1e-3) * 255.0, 0, 255).astype(np.uint8)
    return Image.fromarray(stretched)


def _box_down(image: Image.Image, side: int) -> Image.Image:
    if max(image.size) <= side:
        return image
    ratio = side / max(image.size)
    return image.resize((round(image.width * ratio), round(image.height * ratio)), Image.Resampling.BOX)


def _threshold(image: Image.Image, level: float) -> Image.Image:
    pixels = np.asarray(image)
    return Image.fromarray(np.where(pixels > np.percentile(pixels, level), 255, 0).astype(np.uint8))


def _tiles(image: Image.Image, grid: int) -> Iterator[Image.Image]:
    """Overlapping crops, for a small QR in a big frame that downscaling would blur away."""
    width, height = image.size
    step_x, step_y = width / (grid + 1), height / (grid + 1)
    for row in range(grid):
        for col in range(grid):
            box = (int(col * step_x), int(row * step_y), int((col + 2) * step_x), int((row + 2) * step_y))
            yield _fit(image.crop(box), WORKING_SIDE)


class _Views:
    """The images the ladder scans, each computed once and only when a step asks for it."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.work = _fit(_gray(_open(data, draft_side=WORKING_SIDE)), WORKING_SIDE)
        header = _pillow_open(data).size  # the header only: _open checked it
        self.full_side, self.full_pixels = max(header), header[0] * header[1]

    @cached_property
    def full(self) -> Image.Image:
        """Full resolution: only for a small QR in a big frame, which the working size blurs away."""
        return _gray(_open(self.data))

    @cached_property
    def flat(self) -> Image.Image:
        return _flatten_light(self.work)

    @property
    def small(self) -> bool:
        return max(self.work.size) < SMALL_SIDE

    @property
    def big(self) -> bool:
        return self.full_side > WORKING_SIDE * 1.3


Reader = Callable[[Image.Image], list[_Symbol]]
# (name, reader, the images it scans, its cost in work units)
Step = tuple[str, Reader, Callable[[], list[Image.Image]], float]

# Steps at working size that cost ~10-30 ms: once a step has read something they still run, since a
# second code on the photo (the OA's own QR beside the receipt's) is often read by only one of them.
CHEAP_STEPS = frozenset({"plain", "zxing", "zxing_fixed", "zxing_box", "zxing_flat"})


def _ladder(v: _Views) -> Iterator[Step]:
    """Attempts, each a reader, the images it scans and what that costs, ordered by what they read
    per CPU ms on bench/qr.py's photos: zbar reads the easy ones; zxing-cpp on the same working
    image reads most hard ones for ~10 ms (and re-samples a bent symbol it found but could not
    decode); on the light-flattened image it reads hard shadows; its pass at full resolution
    (~200 ms with the 12 MP decode) is the only one that reads a small QR in a big frame; the zbar
    variants after it rarely earn their cost. Costs depend only on the image's size."""
    work = v.work.width * v.work.height / 1e6
    full = v.full_pixels / 1e6
    zbar, zxing, flatten = MS_PER_MP_ZBAR, MS_PER_MP_ZXING, MS_PER_MP_FLATTEN
    yield "plain", _zbar, lambda: [v.work], work * zbar
    yield "zxing", _zxing, lambda: [v.work], work * zxing
    yield "zxing_fixed", _zxing_fixed, lambda: [v.work], work * zxing
    # Area averaging down to ~800 px merges a screen's pixel grid (moiré) into flat grey before
    # zxing binarises, where the working copy's grating breaks its local thresholds apart.
    yield "zxing_box", _zxing, lambda: [_box_down(v.work, BOX_SIDE)], work * (MS_PER_MP_BOX + zxing)
    yield "zxing_flat", _zxing, lambda: [v.flat], work * (flatten + zxing)
    # Unsharp at module scale (a receipt QR's module is ~3 px at working size) restores the edges
    # defocus and a shaking hand soften.
    yield "zxing_sharp", _zxing, lambda: [v.work.filter(ImageFilter.UnsharpMask(radius=3, percent=200, threshold=0))], (
        work * (MS_PER_MP_UNSHARP + zxing))  # fmt: skip
    if v.big:
        yield "zxing_full", _zxing, lambda: [v.full], full * (MS_PER_MP_DECODE + zxing)
    yield "flatten_light", _zbar, lambda: [v.flat], work * zbar
    yield "sharpen", _zbar, lambda: [v.flat.filter(ImageFilter.UnsharpMask(radius=2, percent=180, threshold=2))], (
        work * (MS_PER_MP_UNSHARP + zbar))  # fmt: skip
    yield "invert", _zbar, lambda: [ImageOps.invert(v.flat)], work * zbar
    if v.small:
        yield "upscale", _zbar, lambda: [_flatten_light(v.work.resize((v.work.width * 2, v.work.height * 2)))], (
            4 * work * (flatten + zbar))  # fmt: skip
    yield "threshold", _zbar, lambda: [_threshold(v.flat, level) for level in (40, 60)], 2 * work * zbar
    yield "denoise", _zbar, lambda: [_flatten_light(v.work.filter(ImageFilter.MedianFilter(5)))], (
        work * (MS_PER_MP_MEDIAN + flatten + zbar))  # fmt: skip
    # Rotated by 30 degrees with expand, each copy has (cos 30 + sin 30)^2 = 1.87 times the pixels.
    yield "rotate", _zbar, lambda: [v.flat.rotate(angle, expand=True, fillcolor=255) for angle in (30, -30)], (
        2 * 1.87 * work * (MS_PER_MP_ROTATE + zbar))  # fmt: skip
    if v.big:
        # Four overlapping crops of 2/3 x 2/3 of the frame, each fitted to the working size.
        yield "tiles", _zbar, lambda: [_flatten_light(tile) for tile in _tiles(v.full, 2)], (
            4 * min(work, full * 4 / 9) * (flatten + zbar))  # fmt: skip


def decode_with_trace(data: bytes, budget_units: float = DEFAULT_BUDGET_UNITS) -> tuple[list[str], str | None]:
    """Payloads and the name of the ladder step that first read them (None when nothing was read).
    Steps start only while the budget lasts, so a photo with no QR cannot hold a worker for seconds.
    The budget is work (the steps' costs, from the image's size), so the same photo runs the same
    steps and gets the same answer on any machine, busy or idle; wall time stops the ladder only
    past WALL_CAP_SECONDS, a safety net for an overloaded machine."""
    started = time.monotonic()
    views = _Views(data)
    found: dict[bytes, _Symbol] = {}  # by payload bytes: the same symbol read by either decoder
    read_by: str | None = None
    spent = 0.0
    for name, reader, images, cost in _ladder(views):
        if read_by and name not in CHEAP_STEPS:
            continue
        if not read_by and (spent > budget_units or time.monotonic() - started > WALL_CAP_SECONDS):
            break
        spent += cost
        for image in images():
            for symbol in reader(image):
                if symbol.raw not in found or (symbol.trusted and not found[symbol.raw].trusted):
                    found[symbol.raw] = symbol
        if found and read_by is None:
            read_by = name
    return [symbol.text for symbol in found.values()], read_by


def decode(data: bytes) -> list[str]:
    """Every QR payload found in the image file's bytes, as text; [] when none is readable.
    Raises NotAnImage, TruncatedImage or ImageTooLarge (all QRDecodeError)."""
    return decode_with_trace(data)[0]
