"""A seeded set of phone-photo-like images of receipts, made from this project's own receipt
renderer, for the QR tests and bench/qr.py. Nothing is stored: the same seed gives the same set.

Buckets, easy to hard: clean, screenshot (incl. dark mode), rotated, blur, dim, uneven light,
glare, perspective, small (a receipt far away in a 12 MP frame), moire (a photo of a screen),
crumpled, multi (two QR codes, one not a receipt), formats (16-bit grey PNG, transparent PNG, WebP),
closeup, lowq (a chat app's hard recompression), inverted (dark mode), noise, lowcontrast (faded
print), noquiet (no white margin around the code), tiny (a code printed small), plus negatives.

A quarter of the receipts carry what third-party receipts and other provinces' systems print in
their QR instead of our lookup URL: Vietnamese UTF-8 text with no ECI header ("Mã HS: …", "Lò Thu
Trí"), which zbar reads as Big5 or Shift-JIS unless asked for the bytes. Each photo lists every
payload on it (`texts`), so a reader's wrong text is told from a right one."""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import zxingcpp
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from lookup.calendar import VN_TZ
from lookup.catalog import Catalog
from lookup.codes import format_code
from lookup.dossier import Applicant
from lookup.dossiers import new_dossier
from lookup.province import Province
from lookup.receipts import lookup_url, qr_image, render_receipt

BASE_URL = "https://dichvucong.kontum.gov.vn"
PHONE_FRAME = (3000, 4000)  # a 12 MP phone photo, portrait
HARD_BUCKETS = ("dim", "uneven", "glare", "perspective", "small", "moire", "crumpled", "blur", "lowq", "noise",
                "lowcontrast", "noquiet", "tiny")  # fmt: skip


@dataclass(frozen=True)
class Photo:
    bucket: str
    code: str | None  # the dossier code the QR holds; None for negatives
    data: bytes
    texts: tuple[str, ...] = ()  # every QR payload on the photo, exactly; () for negatives


# What other systems put in a receipt's QR: UTF-8 without ECI, the letters zbar's charset guess
# turns into Big5 ("M瓊 HS:", "L簷 Thu Tr穩") or Shift-JIS half-width katakana.
THIRD_PARTY_PAYLOADS = (
    "Mã HS: {code}",
    "Mã hồ sơ: {code} | Người nộp: Lò Thu Trí",
    "Lò Thu Trí - Mã HS: {code} - Hẹn trả: 20/11/2026",
    '{{"maHoSo": "{code}", "nguoiNop": "Lò Thu Trí", "coQuan": "UBND xã Đăk Tờ Re"}}',
    "Phiếu tiếp nhận hồ sơ {code}\nNgười nộp: Đinh Thị Ánh Tuyết\nĐịa chỉ: thôn Kon Hra Chót, Đăk Hà",
)
THIRD_PARTY_SHARE = 0.25


def _qr_corners(receipt: Image.Image) -> tuple[int, int, int, int]:
    """Where the renderer put its QR, exactly (_qr_box's dark bounding box takes in text): read it."""
    (found,) = zxingcpp.read_barcodes(receipt, formats=zxingcpp.BarcodeFormat.QRCode)
    corners = (found.position.top_left, found.position.bottom_right)
    return corners[0].x, corners[0].y, corners[1].x, corners[1].y


def _with_payload(receipt: Image.Image, payload: str) -> Image.Image:
    """The receipt with its QR replaced by one holding `payload`, the same size on paper."""
    x0, y0, x1, y1 = _qr_corners(receipt)
    modules = qr_image(payload, box_size=1).width - 8  # qr_image leaves a 4-module quiet zone a side
    box = max(2, (x1 - x0 + 1) // modules)  # no larger than the old one: the hint text is beside it
    out = receipt.copy()
    ImageDraw.Draw(out).rectangle((x0, y0, x1, y1), fill="white")
    out.paste(qr_image(payload, box_size=box), (x0 - 4 * box, y0 - 4 * box))
    return out


def _receipt(rng: random.Random, catalog: Catalog, province: Province) -> tuple[str, Image.Image]:
    procedure = catalog.get(rng.choice(["1.004194", "1.001193", "3.000333", "2.002854", "1.013978"]))
    agency = rng.choice(province.agencies)
    received = datetime(2026, rng.randint(1, 11), rng.randint(1, 28), rng.randint(7, 16), tzinfo=VN_TZ)
    code = format_code(agency.id, received.date(), rng.randint(1, 9999))
    dossier = new_dossier(
        code, "ABCDEFGH", procedure, agency, "trực tiếp", Applicant(full_name="Nguyễn Văn An"),
        [d.name for d in procedure.documents[:6]], received, received + timedelta(days=5), [],
    )  # fmt: skip
    png = render_receipt(dossier, BASE_URL, province.full_name, full=False)
    return code, Image.open(io.BytesIO(png)).convert("RGB")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=quality)
    return out.getvalue()


def _desk(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    base = np.array([rng.randint(90, 170), rng.randint(70, 140), rng.randint(50, 110)], dtype=np.float32)
    noise = np.random.default_rng(rng.randint(0, 2**31)).normal(0, 12, (size[1] // 8, size[0] // 8, 1))
    texture = np.clip(base + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(texture).resize(size, Image.Resampling.BILINEAR)


def _desk_scale(receipt: Image.Image, frame: tuple[int, int], fill: float) -> float:
    """How much `_on_desk` scales the receipt: to `fill` of the frame's height, but never wider than
    the frame (a photo whose QR is cut off by the frame is unreadable for people too)."""
    return min(frame[1] * fill / receipt.height, frame[0] * 0.97 / receipt.width)


def _on_desk(rng: random.Random, receipt: Image.Image, frame: tuple[int, int], fill: float) -> Image.Image:
    """The receipt on a desk, filling `fill` of the frame's height, at a random place."""
    desk = _desk(rng, frame)
    scale = _desk_scale(receipt, frame, fill)
    paper = receipt.resize((int(receipt.width * scale), int(receipt.height * scale)), Image.Resampling.LANCZOS)
    x = rng.randint(0, max(0, frame[0] - paper.width))
    y = rng.randint(0, max(0, frame[1] - paper.height))
    desk.paste(paper, (x, y))
    return desk


def _noise(rng: random.Random, image: Image.Image, sigma: float) -> Image.Image:
    pixels = np.asarray(image, dtype=np.float32)
    noisy = pixels + np.random.default_rng(rng.randint(0, 2**31)).normal(0, sigma, pixels.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def _light_gradient(rng: random.Random, image: Image.Image, low: float, high: float) -> Image.Image:
    w, h = image.size
    angle = rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = xx * math.cos(angle) + yy * math.sin(angle)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1.0)
    factor = low + (high - low) * ramp
    pixels = np.asarray(image, dtype=np.float32) * factor[..., None]
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def _motion_blur(rng: random.Random, image: Image.Image, length: float) -> Image.Image:
    """The mean of shifted copies along one direction: a hand moving while the shutter is open."""
    pixels = np.asarray(image, dtype=np.float32)
    angle = rng.uniform(0, math.pi)
    total = np.zeros_like(pixels)
    offsets = np.linspace(-length / 2, length / 2, 15)
    for t in offsets:
        total += np.roll(pixels, (round(t * math.sin(angle)), round(t * math.cos(angle))), axis=(0, 1))
    return Image.fromarray((total / len(offsets)).astype(np.uint8))


def _shadow(rng: random.Random, image: Image.Image) -> Image.Image:
    """A hard-edged dark polygon over the lower left part of the page, where the QR is."""
    w, h = image.size
    mask = Image.new("L", image.size, 0)
    x = rng.uniform(0.2, 0.5) * w
    corners = [(0, h * rng.uniform(0.5, 0.7)), (x, h * rng.uniform(0.6, 0.8)), (x * 1.3, h), (0, h)]
    ImageDraw.Draw(mask).polygon(corners, fill=255)
    dark = ImageEnhance.Brightness(image).enhance(rng.uniform(0.2, 0.3))
    return Image.composite(dark, image, mask.filter(ImageFilter.GaussianBlur(6)))


def _perspective(rng: random.Random, image: Image.Image, strength: float) -> Image.Image:
    """A tilted camera: each corner of the sampled quad moves mostly outward, so the sheet shrinks
    unevenly and stays in frame (moving corners inward would crop the QR away)."""
    w, h = image.size
    d = [rng.uniform(-strength, strength / 4) for _ in range(8)]
    quad = (d[0] * w, d[1] * h, d[2] * w, h - d[3] * h, w - d[4] * w, h - d[5] * h, w - d[6] * w, d[7] * h)
    return image.transform((w, h), Image.Transform.QUAD, quad, Image.Resampling.BICUBIC, fillcolor=(120, 100, 80))


def _crumple(rng: random.Random, image: Image.Image, amplitude: float) -> Image.Image:
    w, h = image.size
    cells, mesh = 6, []
    jitter = {(i, j): (rng.uniform(-amplitude, amplitude), rng.uniform(-amplitude, amplitude))
              for i in range(cells + 1) for j in range(cells + 1)}  # fmt: skip
    for i in range(cells):
        for j in range(cells):
            box = (i * w // cells, j * h // cells, (i + 1) * w // cells, (j + 1) * h // cells)

            def corner(a: int, b: int) -> tuple[float, float]:
                dx, dy = (0, 0) if a in (0, cells) or b in (0, cells) else jitter[(a, b)]
                return a * w / cells + dx, b * h / cells + dy

            quad = (*corner(i, j), *corner(i, j + 1), *corner(i + 1, j + 1), *corner(i + 1, j))
            mesh.append((box, quad))
    creased = image.transform((w, h), Image.Transform.MESH, mesh, Image.Resampling.BILINEAR)
    return _light_gradient(rng, creased, 0.7, 1.05)


def _glare(rng: random.Random, image: Image.Image, qr_box: tuple[int, int, int, int]) -> Image.Image:
    """A lamp's reflection on glossy paper, over one corner of the QR where a finder pattern is:
    the modules under it fade to a faint grey on white but stay visible."""
    overlay = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(overlay)
    x0, y0, x1, y1 = qr_box
    side = x1 - x0
    cx = rng.choice((x0, x1)) + rng.uniform(-0.1, 0.1) * side
    cy = rng.choice((y0, y1)) + rng.uniform(-0.1, 0.1) * side
    r = side * rng.uniform(0.22, 0.32)
    draw.ellipse((cx - r * 1.5, cy - r, cx + r * 1.5, cy + r), fill=round(255 * rng.uniform(0.86, 0.94)))
    overlay = overlay.filter(ImageFilter.GaussianBlur(r / 4))
    white = Image.new("RGB", image.size, (255, 255, 250))
    return Image.composite(white, image, overlay)


def _moire(rng: random.Random, image: Image.Image) -> Image.Image:
    """A photo of a screen showing the receipt: the screen's pixel grid (a fine grating, tinted by
    its sub-pixels) aliased by the camera's into broad fringes across the image, the beat of two
    nearly equal spatial frequencies, as bright and dark bands over the code."""
    w, h = image.size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    period = rng.uniform(3.0, 5.0)
    angle = rng.uniform(0.1, 0.6)
    fine = np.sin((xx * math.cos(angle) + yy * math.sin(angle)) * 2 * math.pi / period)
    fringe_period = rng.uniform(25.0, 70.0) * w / 2400  # fringes scale with the frame
    fringe_angle = angle + rng.uniform(0.6, 1.2)
    fringe = np.sin((xx * math.cos(fringe_angle) + yy * math.sin(fringe_angle)) * 2 * math.pi / fringe_period)
    wave = 0.8 + 0.1 * fine + rng.uniform(0.12, 0.2) * fringe
    tint = np.array([0.92, 1.0, 1.08], dtype=np.float32)
    pixels = np.asarray(image, dtype=np.float32) * wave[..., None] * tint
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.8))


def _qr_box(receipt: Image.Image) -> tuple[int, int, int, int]:
    # The renderer puts the QR at the bottom left, below the text: find its dark bounding box there.
    gray = np.asarray(receipt.convert("L"))
    bottom = gray[int(gray.shape[0] * 0.6) :, : gray.shape[1] // 2]
    ys, xs = np.nonzero(bottom < 100)
    offset = int(gray.shape[0] * 0.6)
    return int(xs.min()), int(ys.min()) + offset, int(xs.max()), int(ys.max()) + offset


def _qr_side_in_photo(receipt: Image.Image, frame: tuple[int, int], fill: float) -> float:
    """The QR's side in pixels once `_on_desk` has scaled the receipt into the frame."""
    x0, _, x1, _ = _qr_box(receipt)
    return (x1 - x0) * _desk_scale(receipt, frame, fill)


MULTI_OTHER_PAYLOAD = "https://zalo.me/s/cong-hanh-chinh-cong-kontum"  # the OA's own QR beside a receipt's

Maker = Callable[[random.Random, Image.Image], Image.Image | bytes]


def _makers(frame: tuple[int, int]) -> dict[str, Maker]:
    FRAME = frame
    MOIRE_FRAME = (frame[0] * 4 // 5, frame[1] * 4 // 5)
    # Sensor grain is per pixel of a 12 MP sensor; a smaller frame is that photo scaled down, which
    # averages the grain away in proportion.
    GRAIN = frame[0] / PHONE_FRAME[0]

    def clean(rng, r):
        return _jpeg(r, 92)

    def screenshot(rng, r):
        shot = r.resize((720, int(r.height * 720 / r.width)), Image.Resampling.LANCZOS)
        if rng.random() < 0.5:
            shot = ImageOps.invert(shot)  # dark mode: light modules on a dark background
        out = io.BytesIO()
        shot.save(out, format="PNG")
        return out.getvalue()

    def rotated(rng, r):
        paper = r.rotate(rng.uniform(-25, 25), expand=True, fillcolor=(110, 90, 70))
        return _jpeg(_on_desk(rng, paper, FRAME, rng.uniform(0.8, 0.95)), 85)

    def blur(rng, r):
        # Out of focus or a shaking hand, measured in QR modules (a few pixels of blur are nothing
        # to a 12 MP photo): about half a module, where the modules still show to a person.
        fill = rng.uniform(0.85, 0.95)
        photo = _on_desk(rng, r, FRAME, fill)
        qr_side = _qr_side_in_photo(r, FRAME, fill)
        if rng.random() < 0.5:
            return _jpeg(photo.filter(ImageFilter.GaussianBlur(qr_side * rng.uniform(0.005, 0.007))), 80)
        return _jpeg(_motion_blur(rng, photo, qr_side * rng.uniform(0.02, 0.028)), 80)

    def dim(rng, r):
        # A dim office: little light, so the phone's sensor gain shows as heavy grain.
        photo = _on_desk(rng, r, FRAME, rng.uniform(0.8, 0.95))
        photo = ImageEnhance.Brightness(photo).enhance(rng.uniform(0.08, 0.14))
        return _jpeg(_noise(rng, photo, rng.uniform(14, 20) * GRAIN), 65)

    def uneven(rng, r):
        # Light from one side and the hard-edged shadow of the phone or hand over part of the sheet.
        photo = _light_gradient(rng, _on_desk(rng, r, FRAME, rng.uniform(0.8, 0.95)), 0.1, 1.0)
        return _jpeg(_noise(rng, _shadow(rng, photo), 8 * GRAIN), 75)

    def glare(rng, r):
        box = _qr_box(r)
        return _jpeg(_on_desk(rng, _glare(rng, r, box), FRAME, rng.uniform(0.85, 0.95)), 85)

    def perspective(rng, r):
        # A steep angle, and the depth of field that goes with it: the far edge is a little soft.
        fill = rng.uniform(0.85, 0.95)
        photo = _perspective(rng, _on_desk(rng, r, FRAME, fill), 0.45)
        soft = _qr_side_in_photo(r, FRAME, fill) * rng.uniform(0.003, 0.005)
        return _jpeg(photo.filter(ImageFilter.GaussianBlur(soft)), 85)

    def small(rng, r):
        # The whole desk in frame: the receipt is a small part of it and the camera focused elsewhere.
        photo = _on_desk(rng, r, FRAME, rng.uniform(0.12, 0.17)).filter(ImageFilter.GaussianBlur(1.2))
        return _jpeg(_noise(rng, photo, 4), 80)

    def moire(rng, r):
        screen = _on_desk(rng, r, MOIRE_FRAME, 0.9)
        return _jpeg(_moire(rng, screen), 80)

    def crumpled(rng, r):
        photo = _on_desk(rng, r, FRAME, rng.uniform(0.85, 0.95))
        return _jpeg(_crumple(rng, photo, rng.uniform(25, 45)), 85)

    def multi(rng, r):
        other = qr_image(MULTI_OTHER_PAYLOAD, box_size=6)
        canvas = r.copy()
        canvas.paste(other, (canvas.width - other.width - 80, canvas.height - other.height - 80))
        return _jpeg(_on_desk(rng, canvas, FRAME, 0.9), 88)

    def closeup(rng, r):
        # The phone held close to the QR: the code fills most of the frame, focus a little soft.
        x0, y0, x1, y1 = _qr_corners(r)
        side = x1 - x0
        margin = side * rng.uniform(0.15, 0.4)
        crop = r.crop((int(x0 - margin), int(y0 - margin), int(x1 + margin), int(y1 + margin)))
        scale = FRAME[0] * rng.uniform(0.8, 1.0) / crop.width
        photo = _on_desk(rng, crop, FRAME, min(0.97, crop.height * scale / FRAME[1]))
        return _jpeg(photo.filter(ImageFilter.GaussianBlur(side * scale * rng.uniform(0.002, 0.004))), 85)

    def lowq(rng, r):
        # Sent on through a chat app that recompresses hard: strong JPEG blocks, halved size.
        photo = _on_desk(rng, r, FRAME, rng.uniform(0.8, 0.95))
        photo = photo.resize((FRAME[0] // 2, FRAME[1] // 2), Image.Resampling.BILINEAR)
        return _jpeg(photo, rng.randint(6, 14))

    def inverted(rng, r):
        # Light modules on a dark ground: a receipt shown in a phone's dark mode, photographed.
        photo = _on_desk(rng, ImageOps.invert(r), FRAME, rng.uniform(0.8, 0.95))
        return _jpeg(_noise(rng, photo, 5 * GRAIN), 85)

    def noise(rng, r):
        # Normal light but a small, noisy sensor (grain without the darkness of 'dim').
        photo = _on_desk(rng, r, FRAME, rng.uniform(0.8, 0.95))
        return _jpeg(_noise(rng, photo, rng.uniform(35, 50) * GRAIN), 80)

    def lowcontrast(rng, r):
        # Faded thermal print or grey ink on grey paper: dark modules barely darker than the light.
        faded = ImageEnhance.Contrast(r).enhance(rng.uniform(0.12, 0.2))
        photo = _on_desk(rng, ImageEnhance.Brightness(faded).enhance(rng.uniform(0.8, 1.05)), FRAME, 0.9)
        return _jpeg(_noise(rng, photo, 3 * GRAIN), 85)

    def noquiet(rng, r):
        # The code printed with no white margin, right against a coloured band or a frame line.
        x0, y0, x1, y1 = _qr_corners(r)
        module = (x1 - x0) / 33
        out = r.copy()
        draw = ImageDraw.Draw(out)
        colour = (rng.randint(60, 150), rng.randint(60, 150), rng.randint(90, 170))
        ring = rng.uniform(0.6, 1.2) * module  # a module or so of white, then the band
        for box in ((x0 - 4 * module, y0 - 4 * module, x1 + 4 * module, y0 - ring),
                    (x0 - 4 * module, y1 + ring, x1 + 4 * module, y1 + 4 * module),
                    (x0 - 4 * module, y0 - ring, x0 - ring, y1 + ring),
                    (x1 + ring, y0 - ring, x1 + 4 * module, y1 + ring)):  # fmt: skip
            draw.rectangle(box, fill=colour)
        return _jpeg(_on_desk(rng, out, FRAME, rng.uniform(0.85, 0.95)), 85)

    def tiny(rng, r):
        # A QR printed small (a sticker, a corner of a form): the receipt fills the frame, the code
        # is a fraction of its usual size.
        x0, y0, x1, y1 = _qr_corners(r)
        side = x1 - x0
        shrink = rng.uniform(0.3, 0.4)
        small = r.crop((x0, y0, x1, y1)).resize((int(side * shrink),) * 2, Image.Resampling.LANCZOS)
        out = r.copy()
        ImageDraw.Draw(out).rectangle((x0, y0, x1, y1), fill="white")
        out.paste(small, (x0, y0))
        return _jpeg(_on_desk(rng, out, FRAME, rng.uniform(0.85, 0.95)), 85)

    def formats(rng, r):
        # What else a phone or a scanner app sends: a 16-bit grey PNG scan, a transparent PNG
        # (the receipt cut out on an alpha background), a WebP photo.
        kind = rng.choice(("png16", "transparent", "webp"))
        out = io.BytesIO()
        if kind == "png16":
            grey = np.asarray(r.convert("L"), dtype=np.uint32)
            low = rng.randint(2_000, 9_000)  # a scan's black is not 0, its white not 65535
            levels = (grey * (rng.randint(45_000, 60_000) - low) // 255 + low).astype("<u2")
            Image.frombytes("I;16", r.size, levels.tobytes()).save(out, format="PNG")
        elif kind == "transparent":
            scale = rng.uniform(0.6, 0.9)
            paper = r.resize((int(r.width * scale), int(r.height * scale)), Image.Resampling.LANCZOS).convert("RGBA")
            canvas = Image.new("RGBA", (paper.width + 200, paper.height + 200), (0, 0, 0, 0))
            canvas.paste(paper, (100, 100))
            canvas.save(out, format="PNG")
        else:
            _on_desk(rng, r, FRAME, rng.uniform(0.8, 0.95)).save(out, format="WEBP", quality=80)
        return out.getvalue()

    return {"clean": clean, "screenshot": screenshot, "rotated": rotated, "blur": blur, "dim": dim,
            "uneven": uneven, "glare": glare, "perspective": perspective, "small": small, "moire": moire,
            "crumpled": crumpled, "multi": multi, "formats": formats, "closeup": closeup, "lowq": lowq,
            "inverted": inverted, "noise": noise, "lowcontrast": lowcontrast, "noquiet": noquiet,
            "tiny": tiny}  # fmt: skip


def _negative(rng: random.Random, catalog: Catalog, province: Province, frame: tuple[int, int]) -> bytes:
    """A receipt-like photo with the QR cut away, or just a desk."""
    _, receipt = _receipt(rng, catalog, province)
    top = receipt.crop((0, 0, receipt.width, int(receipt.height * 0.55)))
    photo = _on_desk(rng, top, frame, 0.6) if rng.random() < 0.7 else _desk(rng, frame)
    return _jpeg(_noise(rng, photo, 5), 85)


def photos(catalog: Catalog, province: Province, per_bucket: int, seed: int = 1,
           buckets: tuple[str, ...] | None = None, negatives: int | None = None,
           frame: tuple[int, int] = PHONE_FRAME) -> Iterator[Photo]:  # fmt: skip
    """`per_bucket` photos of each bucket, then the negatives. `frame` is the camera's pixel size:
    12 MP by default (the bench); tests pass a small one to stay fast."""
    rng = random.Random(seed)
    # Payload choices draw from their own stream, so the photos' other randomness stays as it was.
    payload_rng = random.Random(f"payload-{seed}")
    makers = _makers(frame)
    for bucket in buckets or tuple(makers):
        for _ in range(per_bucket):
            code, receipt = _receipt(rng, catalog, province)
            text = lookup_url(BASE_URL, code)
            if payload_rng.random() < THIRD_PARTY_SHARE:
                text = payload_rng.choice(THIRD_PARTY_PAYLOADS).format(code=code)
                receipt = _with_payload(receipt, text)
            made = makers[bucket](rng, receipt)
            texts = (text, MULTI_OTHER_PAYLOAD) if bucket == "multi" else (text,)
            yield Photo(bucket, code, made if isinstance(made, bytes) else _jpeg(made, 85), texts)
    for _ in range(per_bucket if negatives is None else negatives):
        yield Photo("negative", None, _negative(rng, catalog, province, frame))


__all__ = ["HARD_BUCKETS", "THIRD_PARTY_PAYLOADS", "Photo", "photos"]
