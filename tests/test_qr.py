"""Reading receipt QR codes from images: clean and degraded photos, UTF-8, several codes,
negatives, and every kind of bad input."""

import io
import json
import random

import numpy as np
import pytest
import zxingcpp
from PIL import Image, ImageFilter
from pyzbar.pyzbar import decode as zbar_decode

from bench.photoset import photos
from lookup.codes import extract_dossier_code
from lookup.qr import ImageTooLarge, NotAnImage, QRDecodeError, TruncatedImage, decode
from lookup.receipts import qr_image

SMALL_FRAME = (1200, 1600)


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def sample(catalog, province):
    buckets = ("clean", "screenshot", "glare", "moire", "dim", "rotated", "multi")
    return list(photos(catalog, province, 2, seed=11, buckets=buckets, negatives=2, frame=SMALL_FRAME))


def test_photos_of_receipts_give_back_their_dossier_code(sample):
    for photo in [p for p in sample if p.code]:
        codes = [extract_dossier_code(payload) for payload in decode(photo.data)]
        assert photo.code in codes, f"{photo.bucket} photo not read"


def test_photos_without_a_qr_give_nothing(sample):
    for photo in [p for p in sample if p.code is None]:
        assert decode(photo.data) == []


def test_vietnamese_utf8_payloads_come_back_intact():
    # zbar takes UTF-8 bytes without an ECI header for Shift-JIS or Latin-1; decode() repairs that.
    for payload in ("Hồ sơ 000.09.23.H34-241015-0012 – Nguyễn Văn Ánh", "Mã hồ sơ: 000.31.01.H34-261110-0001",
                    "Phiếu tiếp nhận – Ủy ban nhân dân phường Đăk Bla"):  # fmt: skip
        assert decode(png(qr_image(payload))) == [payload]


def test_utf8_without_eci_that_zbar_reads_as_big5_comes_back_as_written():
    """Third-party receipts print 'Mã HS: …' and names like 'Lò Thu Trí' as UTF-8 with no ECI
    header. zbar's charset guess took them for Big5 ('M瓊 HS:', 'L簷 Thu Tr穩'), the old repair did
    not know Big5, and zbar answered before zxing: the citizen was shown a wrong text."""
    for payload in ("Mã HS: 000.31.01.H34-261110-0001", "Lò Thu Trí - Mã HS: 000.31.01.H34-261110-0001"):
        image = qr_image(payload)
        misread = [symbol.data.decode("utf-8") for symbol in zbar_decode(image)]
        assert misread != [payload]  # zbar alone, as it comes
        assert decode(png(image)) == [payload]


def test_photos_of_third_party_receipts_read_their_exact_text(catalog, province):
    from bench.photoset import THIRD_PARTY_PAYLOADS

    seen = 0
    for photo in photos(catalog, province, 4, seed=5, buckets=("clean", "rotated"), negatives=0, frame=SMALL_FRAME):
        if photo.texts[0].startswith("https://"):
            continue
        seen += 1
        assert any(photo.texts[0] == p.format(code=photo.code) for p in THIRD_PARTY_PAYLOADS)
        assert decode(photo.data) == list(photo.texts)
    assert seen


def test_every_code_in_a_photo_is_returned_and_the_receipt_one_is_found():
    canvas = Image.new("RGB", (900, 450), "white")
    canvas.paste(qr_image("https://zalo.me/s/oa-kontum", box_size=6), (20, 20))
    canvas.paste(
        qr_image("https://dichvucong.kontum.gov.vn/tra-cuu?code=000.31.01.H34-261110-0001", box_size=6), (460, 20)
    )
    payloads = decode(png(canvas))
    assert len(payloads) == 2
    assert [c for c in map(extract_dossier_code, payloads) if c] == ["000.31.01.H34-261110-0001"]


def two_receipt_qrs(first: str, second: str) -> Image.Image:
    """Two receipts' QR codes side by side, the second a little out of focus (zbar misses it)."""
    canvas = Image.new("RGB", (1000, 500), "white")
    canvas.paste(qr_image(first, box_size=6), (20, 20))
    canvas.paste(qr_image(second, box_size=6).filter(ImageFilter.GaussianBlur(3)), (520, 20))
    return canvas


def test_both_codes_of_a_two_code_photo_are_returned_when_each_decoder_reads_one():
    # The ladder stopped at the first step that read anything: zbar read the sharp code, and the
    # soft one, which only zxing reads, was never looked for (5 of 25 two-code photos lost one).
    first = "https://dichvucong.kontum.gov.vn/tra-cuu?code=000.31.01.H34-261110-0001"
    second = "Mã HS: 000.25.23.H34-261102-0001"
    canvas = two_receipt_qrs(first, second)
    assert len(zbar_decode(canvas)) == 1
    assert sorted(decode(png(canvas))) == sorted([first, second])


def bowed_qr(payload: str, bend_modules: float, box: int = 8) -> Image.Image:
    """A QR printed on a sheet that bows along a crease: the grid bends smoothly, most in the
    middle of the code, by `bend_modules` modules, as on a receipt carried folded in a pocket."""
    flat = np.asarray(qr_image(payload, box_size=box).convert("L"))
    height, width = flat.shape
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    bend = bend_modules * box
    across, down = np.sin(np.pi * xx / width), np.sin(np.pi * yy / height)
    xs = np.clip(xx + bend * down * across, 0, width - 1).astype(int)
    ys = np.clip(yy + 0.6 * bend * across**2, 0, height - 1).astype(int)
    return Image.fromarray(flat[ys, xs])


def test_a_qr_bent_by_a_crease_is_read_by_sampling_along_the_bend():
    payload = "https://dichvucong.kontum.gov.vn/tra-cuu?code=000.31.01.H34-261110-0001"
    for bend in (1.0, 1.5, 2.0):
        bowed = bowed_qr(payload, bend)
        # Both decoders, as they come, give up on it: one perspective transform cannot follow the bend.
        assert zbar_decode(bowed) == []
        assert not [r for r in zxingcpp.read_barcodes(bowed) if r.valid]
        assert decode(png(bowed)) == [payload], f"bent by {bend} modules"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("000.09.23.H34-241015-0012", "000.09.23.H34-241015-0012"),
        ("https://dichvucong.kontum.gov.vn/tra-cuu?code=000.09.23.H34-241015-0012", "000.09.23.H34-241015-0012"),
        ("https://dvc.example.vn/TraCuu?MHS=000.09.23.H34-241015-0012&x=1", "000.09.23.H34-241015-0012"),
        ("https://x.vn/tra-cuu?code=000%2E09%2E23%2EH34%2D241015%2D0012", "000.09.23.H34-241015-0012"),
        (
            json.dumps({"maHoSo": "000.09.23.h34-241015-0012", "maTTHC": "1.004194", "hanTra": "2024-10-20"}),
            "000.09.23.H34-241015-0012",
        ),
        ("MaHS:000.09.23.H34-241015-0012|CCCD:062090001234|Han:20/10/2024", "000.09.23.H34-241015-0012"),
        ("https://zalo.me/s/oa-kontum", None),
        ("1.004194", None),
    ],
)
def test_the_dossier_code_is_found_in_any_payload_shape(text, code):
    assert extract_dossier_code(text) == code


def test_bytes_that_are_not_an_image_are_refused():
    with pytest.raises(NotAnImage):
        decode(b"")
    with pytest.raises(NotAnImage):
        decode(b"%PDF-1.7 this is a document, not a photo")


def test_a_truncated_image_is_refused():
    data = png(qr_image("000.09.23.H34-241015-0012"))
    with pytest.raises(TruncatedImage):
        decode(data[: len(data) // 2])


def test_a_jpeg_header_followed_by_garbage_is_refused_as_corrupt():
    # Pillow raised a bare OSError ('Truncated File Read') while reading the header's segments,
    # which no caller expects from decode().
    for seed in range(8):
        garbage = bytes(random.Random(seed).getrandbits(8) for _ in range(2048))
        with pytest.raises(QRDecodeError):
            decode(b"\xff\xd8\xff" + garbage)


def test_an_image_over_the_pixel_limit_is_refused_before_decoding():
    # 8000 x 7000 one-bit pixels: a few kilobytes on disk, 56 million pixels once decoded.
    bomb = io.BytesIO()
    Image.new("1", (8000, 7000), 1).save(bomb, format="PNG")
    assert len(bomb.getvalue()) < 100_000
    with pytest.raises(ImageTooLarge, match="pixel limit"):
        decode(bomb.getvalue())


EPS = b"""%!PS-Adobe-3.0 EPSF-3.0
%%BoundingBox: 0 0 100 100
%%EndComments
/loop { loop } def
{ } loop
showpage
%%EOF
"""


def test_postscript_is_not_an_image_and_starts_no_child_process(monkeypatch):
    """An EPS sent as a photo never reaches Pillow's Ghostscript plugin (a `gs` child with no time
    limit held both decode threads): only JPEG, PNG and WebP are opened, told by their magic bytes."""
    import subprocess

    from PIL import EpsImagePlugin

    spawned: list = []

    def no_child(*args, **kwargs):
        spawned.append(args)
        raise AssertionError("a child process was started")

    monkeypatch.setattr(subprocess, "Popen", no_child)
    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", no_child)
    for data in (EPS, b"\xc5\xd0\xd3\xc6" + EPS, b"GIF89a" + b"\0" * 20, b"BM" + b"\0" * 40):
        with pytest.raises(NotAnImage):
            decode(data)
    assert spawned == []


def test_phone_formats_are_told_by_their_magic_bytes():
    from lookup.qr import image_format

    webp = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(webp, format="WEBP")
    assert image_format(webp.getvalue()) == "WEBP" and decode(webp.getvalue()) == []
    jpeg = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(jpeg, format="JPEG")
    assert image_format(jpeg.getvalue()) == "JPEG"
    assert image_format(png(qr_image("x"))) == "PNG"


async def test_a_photo_of_two_receipts_gets_both_dossier_cards(live):
    """Two receipts photographed together (a family's dossiers): the chat showed only the first
    known dossier; now each known code on the photo gets its card."""
    from bot.appkeys import DOSSIERS
    from lookup.demo import load_fixed_demo

    first, second = [entry.code for entry in await load_fixed_demo(live.app[DOSSIERS])][:2]
    photo = png(two_receipt_qrs(f"https://dichvucong.kontum.gov.vn/tra-cuu?code={first}", f"Mã HS: {second}"))
    url = f"{live.base}/emulator/users/two-receipts/image"
    async with live.http.post(url, data=photo, headers={"Content-Type": "image/png"}) as response:
        assert response.status == 200
        replies = (await response.json())["replies"]
    cards = [r["text"] for r in replies if r.get("text", "").startswith("📄 Hồ sơ")]
    assert sorted(card.splitlines()[0] for card in cards) == sorted([f"📄 Hồ sơ {first}", f"📄 Hồ sơ {second}"])


@pytest.mark.parametrize("mode", ["I;16", "I;16B"])
def test_a_16_bit_grey_png_is_read(mode):
    """A 16-bit grey PNG (a scanner's or a medical-grade export): converting it to 8 bits clipped
    every value over 255 to white, so the code vanished; it is scaled down instead."""
    payload = "https://dichvucong.kontum.gov.vn/tra-cuu?code=000.31.01.H34-261110-0001"
    grey = np.asarray(qr_image(payload).convert("L"), dtype=np.uint32)
    levels = (grey * 40_000 // 255 + 12_000).astype(">u2" if mode == "I;16B" else "<u2")  # no pure black
    image = Image.frombytes(mode, (grey.shape[1], grey.shape[0]), levels.tobytes())
    data = png(image)
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    assert decode(data) == [payload]


class BusyClock:
    """A machine under load: every reading of the clock is 120 ms after the previous one."""

    def __init__(self) -> None:
        self.now = 0.0

    def tick(self) -> float:
        self.now += 0.12
        return self.now

    monotonic = thread_time = perf_counter = tick


def test_a_busy_machine_gives_the_same_answer(monkeypatch):
    """The ladder's budget was the thread's CPU time: on a loaded machine the full-resolution pass,
    the only one that reads a small QR in a 12 MP frame, did not start, and the same photo was
    read on one run and not the next. The budget is work now, the same on any machine."""
    import lookup.qr

    payload = "https://dichvucong.kontum.gov.vn/tra-cuu?code=000.31.01.H34-261110-0001"
    frame = Image.new("L", (3000, 4000), 200)
    frame.paste(qr_image(payload, box_size=2).convert("L"), (1700, 2600))
    out = io.BytesIO()
    frame.save(out, format="JPEG", quality=90)
    idle = decode(out.getvalue())
    assert idle == [payload]
    monkeypatch.setattr(lookup.qr, "time", BusyClock())
    assert decode(out.getvalue()) == idle
