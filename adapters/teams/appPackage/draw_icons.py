"""Draw protocolbot's Teams icons: `color.png` (192x192) and `outline.png` (32x32, white on
transparent), as Teams asks. A speech bubble with a check mark: "ask before you post".

Pure Python (zlib + struct), so anyone can redraw them without an image library:
    python adapters/teams/appPackage/draw_icons.py
Shapes are signed-distance functions, sampled 4x4 per pixel for smooth edges.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ACCENT = (0x1F, 0x6F, 0x5C)  # the app's accentColor in manifest.json
WHITE = (255, 255, 255)


def _round_rect(x: float, y: float, cx: float, cy: float, hw: float, hh: float, r: float) -> float:
    qx, qy = abs(x - cx) - hw + r, abs(y - cy) - hh + r
    return math.hypot(max(qx, 0), max(qy, 0)) + min(max(qx, qy), 0) - r


def _segment(x: float, y: float, ax: float, ay: float, bx: float, by: float) -> float:
    px, py, dx, dy = x - ax, y - ay, bx - ax, by - ay
    t = max(0.0, min(1.0, (px * dx + py * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - dx * t, py - dy * t)


def _triangle(x: float, y: float, pts: list[tuple[float, float]]) -> float:
    """Negative inside the triangle."""
    d = min(_segment(x, y, *pts[i], *pts[(i + 1) % 3]) for i in range(3))
    signs = []
    for i in range(3):
        (ax, ay), (bx, by) = pts[i], pts[(i + 1) % 3]
        signs.append((bx - ax) * (y - ay) - (by - ay) * (x - ax) > 0)
    return -d if all(signs) or not any(signs) else d


def bubble(x: float, y: float) -> float:
    """The speech bubble in a unit square (0..1): a rounded body with a tail at bottom left."""
    body = _round_rect(x, y, 0.5, 0.45, 0.36, 0.27, 0.12)
    tail = _triangle(x, y, [(0.26, 0.6), (0.44, 0.66), (0.22, 0.86)])
    return min(body, tail)


def check(x: float, y: float, width: float) -> float:
    """A check mark inside the bubble, as a stroke of `width`."""
    return (
        min(_segment(x, y, 0.33, 0.46, 0.45, 0.57), _segment(x, y, 0.45, 0.57, 0.68, 0.33)) - width
    )


Shader = Callable[[float, float], tuple[tuple[int, int, int], float] | None]


def render(size: int, shade: Shader, *, background: tuple[int, int, int] | None) -> bytes:
    """RGBA rows; `shade` gives the colour and coverage of a point of the unit square."""
    n = 4
    rows = []
    for py in range(size):
        row = bytearray([0])  # filter type 0
        for px in range(size):
            acc = [0.0, 0.0, 0.0, 0.0]
            for sy in range(n):
                for sx in range(n):
                    x = (px + (sx + 0.5) / n) / size
                    y = (py + (sy + 0.5) / n) / size
                    hit = shade(x, y)
                    colour, alpha = (
                        hit if hit else (background or (0, 0, 0), 1.0 if background else 0.0)
                    )
                    for i in range(3):
                        acc[i] += colour[i] * alpha
                    acc[3] += alpha
            alpha = acc[3] / (n * n)
            rgb = [round(acc[i] / acc[3]) if acc[3] else 0 for i in range(3)]
            row += bytes([*rgb, round(alpha * 255)])
        rows.append(bytes(row))
    return b"".join(rows)


def png(size: int, rgba: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rgba, 9))
        + chunk(b"IEND", b"")
    )


def colour_icon(x: float, y: float):
    # the symbol sits in the middle, the accent colour fills the square (Teams' colour icon)
    u, v = (x - 0.5) / 0.62 + 0.5, (y - 0.5) / 0.62 + 0.5
    if check(u, v, 0.045) < 0:
        return ACCENT, 1.0
    if bubble(u, v) < 0:
        return WHITE, 1.0
    return ACCENT, 1.0


def outline_icon(x: float, y: float):
    # white lines on transparency, at least a pixel wide at 32x32
    edge = abs(bubble(x, y)) - 0.045
    if edge < 0 or check(x, y, 0.045) < 0:
        return WHITE, 1.0
    return None


def main() -> None:
    (HERE / "color.png").write_bytes(png(192, render(192, colour_icon, background=ACCENT)))
    (HERE / "outline.png").write_bytes(png(32, render(32, outline_icon, background=None)))


if __name__ == "__main__":
    main()
