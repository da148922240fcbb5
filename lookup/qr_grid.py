"""Re-reading a QR code that a decoder found but could not decode, by sampling its module grid
ourselves, following the paper where it bends.

Decoders map the symbol to the image with one perspective transform fitted to the finder patterns
(and one alignment pattern for small versions). A crumpled receipt, or a steep angle with a soft far
edge, bends the grid away from that transform by a module or two in the middle of the code, and
every module read from the wrong place is a byte error. Here the code is first rectified with the
decoder's own corner estimate, then the remaining displacement is measured locally: module
boundaries are edges one module apart, so in any window the phase of the edge strength at the
module frequency says how far the true grid sits from the assumed one (a fraction of a module).
Offsets are unwrapped outward from the top-left finder pattern, where the decoder's estimate is
best, interpolated to every module and the sampling repeated; then each module is classed dark or
light against its neighbourhood and a clean symbol is rendered for the decoders to read, with
their own error correction as the check (a wrong grid gives a checksum error, never a wrong text).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageFilter

PIXELS_PER_MODULE = 8  # rectified resolution: enough phase resolution, cheap to sample
WINDOW_HALF = 4  # modules each side of a window centre: holds a dozen edges of random data
WINDOW_STEP = 2  # modules between window centres: neighbours differ by well under half a module
PASSES = 2  # measure-and-resample rounds; the second catches what the first one's smoothing left

Point = tuple[float, float]


def _homography(src: Sequence[Point], dst: Sequence[Point]) -> np.ndarray:
    rows = []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y, -u])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y, -v])
    return np.linalg.svd(np.asarray(rows, dtype=np.float64))[2][-1].reshape(3, 3)


def _bilinear(pixels: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Values at fractional coordinates, clamped to the image."""
    height, width = pixels.shape
    xs = np.clip(xs, 0, width - 1.001)
    ys = np.clip(ys, 0, height - 1.001)
    x0, y0 = xs.astype(np.intp), ys.astype(np.intp)
    fx, fy = xs - x0, ys - y0
    top = pixels[y0, x0] * (1 - fx) + pixels[y0, x0 + 1] * fx
    bottom = pixels[y0 + 1, x0] * (1 - fx) + pixels[y0 + 1, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


def _rectify(pixels: np.ndarray, to_image: np.ndarray, us: np.ndarray, vs: np.ndarray) -> np.ndarray:
    """The image sampled at symbol coordinates (in modules) through the homography."""
    mapped = to_image @ np.stack([us.ravel(), vs.ravel(), np.ones(us.size)])
    return _bilinear(pixels, mapped[0] / mapped[2], mapped[1] / mapped[2]).reshape(us.shape)


def _window_sums(values: np.ndarray, size: int, starts: np.ndarray) -> np.ndarray:
    """Sums of `values` over size x size windows whose top-left corners are starts x starts."""
    table = np.zeros((values.shape[0] + 1, values.shape[1] + 1), dtype=values.dtype)
    table[1:, 1:] = values.cumsum(0).cumsum(1)
    y0, x0 = starts[:, None], starts[None, :]
    return table[y0 + size, x0 + size] - table[y0, x0 + size] - table[y0 + size, x0] + table[y0, x0]


def _window_centres(modules: int) -> np.ndarray:
    """Centres (in modules, one axis) of the windows the grid's shift is measured in."""
    centres = np.arange(WINDOW_HALF, modules - WINDOW_HALF + 1e-9, WINDOW_STEP, dtype=np.float64)
    if centres[-1] < modules - WINDOW_HALF:
        centres = np.append(centres, modules - WINDOW_HALF)
    return centres


def _grid_offsets(rectified: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Per window, how far (in rectified pixels, x and y) the module boundaries sit from where the
    current sampling assumes them."""
    s = PIXELS_PER_MODULE
    size = 2 * WINDOW_HALF * s
    # Edge strength between pixel i and i+1 sits at boundary coordinate i+1; boundaries belong at
    # multiples of s, so the phase of sum(edge * e^(2 pi i x / s)) is the grid's shift.
    edges_x = np.zeros_like(rectified, dtype=np.complex128)
    edges_y = np.zeros_like(rectified, dtype=np.complex128)
    phase = np.exp(2j * np.pi * np.arange(1, rectified.shape[1]) / s)
    edges_x[:, :-1] = np.abs(np.diff(rectified, axis=1)) * phase[None, :]
    edges_y[:-1, :] = np.abs(np.diff(rectified, axis=0)) * phase[:, None]
    starts = ((centres - WINDOW_HALF) * s).astype(np.intp)
    wrapped = np.stack(
        [np.angle(_window_sums(edges, size, starts)) * s / (2 * np.pi) for edges in (edges_x, edges_y)], axis=-1
    )
    return _unwrap(wrapped, s)


def _unwrap(wrapped: np.ndarray, period: float) -> np.ndarray:
    """Phase offsets are known only modulo a module: walk outward from the top-left window (by
    the finder pattern, where the decoder's corners are right) and take for each window the
    representative nearest its already placed neighbours, since the paper bends smoothly."""
    count = wrapped.shape[0]
    placed = np.zeros_like(wrapped)
    placed[0, 0] = wrapped[0, 0]
    for diagonal in range(1, 2 * count - 1):
        for row in range(max(0, diagonal - count + 1), min(diagonal, count - 1) + 1):
            col = diagonal - row
            above_left = ((row - 1, col), (row, col - 1), (row - 1, col - 1))
            reference = np.mean([placed[r, c] for r, c in above_left if r >= 0 and c >= 0], axis=0)
            value = wrapped[row, col]
            placed[row, col] = value + period * np.round((reference - value) / period)
    return placed


def _window_index(centres: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """Fractional window indices of module coordinates (one axis), for interpolating offsets."""
    return np.interp(coords, centres, np.arange(len(centres), dtype=np.float64))


def sample_modules(pixels: np.ndarray, corners: Sequence[Point], modules: int) -> np.ndarray:
    """Mean brightness of each module's centre, modules x modules, for a symbol whose outer
    corners (top-left, top-right, bottom-right, bottom-left in symbol orientation) are given."""
    s = PIXELS_PER_MODULE
    square = [(0.0, 0.0), (float(modules), 0.0), (float(modules), float(modules)), (0.0, float(modules))]
    to_image = _homography(square, corners)
    vv, uu = np.mgrid[0 : modules * s, 0 : modules * s] + 0.5
    shift_x = np.zeros_like(uu)
    shift_y = np.zeros_like(uu)
    # Where each rectified pixel falls among the windows: the same for every pass (and both axes).
    centres = _window_centres(modules)
    row_index, col_index = _window_index(centres, vv / s), _window_index(centres, uu / s)
    rectified = _rectify(pixels, to_image, uu / s, vv / s)
    for _ in range(PASSES):
        offsets = _grid_offsets(rectified, centres)
        padded = np.pad(offsets, ((0, 1), (0, 1), (0, 0)), mode="edge")
        shift_x += _bilinear(padded[..., 0], col_index, row_index)
        shift_y += _bilinear(padded[..., 1], col_index, row_index)
        rectified = _rectify(pixels, to_image, (uu + shift_x) / s, (vv + shift_y) / s)
    centre = slice(s // 4, s - s // 4)
    return rectified.reshape(modules, s, modules, s)[:, centre, :, centre].mean(axis=(1, 3))


def render_symbol(levels: np.ndarray, local: bool) -> Image.Image:
    """A clean black-on-white symbol with its quiet zone, from module brightness: dark where a
    module is darker than its neighbourhood (`local`, for light that changes across the code) or
    than the median module."""
    low, high = float(levels.min()), float(levels.max())
    if local:
        scaled = Image.fromarray(((levels - low) / max(high - low, 1e-3) * 255).astype(np.uint8))
        reference = np.asarray(scaled.filter(ImageFilter.BoxBlur(4)), dtype=np.float64) / 255 * (high - low) + low
    else:
        reference = np.full_like(levels, np.median(levels))
    modules = levels.shape[0]
    canvas = np.full((modules + 8, modules + 8), 255, dtype=np.uint8)
    canvas[4:-4, 4:-4] = np.where(levels < reference, 0, 255)
    return Image.fromarray(canvas).resize(((modules + 8) * 6,) * 2, Image.Resampling.NEAREST)


def regridded(image: Image.Image, corners: Sequence[Point], modules: int) -> list[Image.Image]:
    """Clean renderings of the symbol at `corners`, for a decoder to try in turn."""
    # Only the symbol's surroundings are converted to floats: a 12 MP frame would cost ~100 ms.
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    margin = (max(xs) - min(xs) + max(ys) - min(ys)) / 8
    left, top = max(0, int(min(xs) - margin)), max(0, int(min(ys) - margin))
    crop = image.crop((left, top, int(max(xs) + margin) + 1, int(max(ys) + margin) + 1))
    shifted = [(x - left, y - top) for x, y in corners]
    levels = sample_modules(np.asarray(crop, dtype=np.float64), shifted, modules)
    return [render_symbol(levels, local=True), render_symbol(levels, local=False)]
