"""Dashboard figures from the per-day counters the transcript keeps, drawn as server-side SVG (no
script, nothing fetched from elsewhere)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from redis.asyncio import Redis

from bot.conv_keys import ConversationKeys


@dataclass
class Day:
    day: date
    conversations: int
    messages: int
    not_understood: int
    lookup_code: int
    lookup_qr: int

    @property
    def not_understood_share(self) -> float:
        return self.not_understood / self.messages if self.messages else 0.0


async def recent_days(redis: Redis, keys: ConversationKeys, today: date, days: int = 14) -> list[Day]:
    dates = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    async with redis.pipeline(transaction=False) as pipe:
        for d in dates:
            pipe.hgetall(keys.day_stats(d.isoformat()))
            pipe.pfcount(keys.day_users(d.isoformat()))
        results = await pipe.execute()
    out = []
    for i, d in enumerate(dates):
        stats, users = results[2 * i], results[2 * i + 1]
        out.append(Day(d, int(users), *(int(stats.get(k, 0)) for k in ("messages", "not_understood", "lookup_code",
                                                                          "lookup_qr"))))  # fmt: skip
    return out


async def top_procedures(redis: Redis, keys: ConversationKeys, today: date, days: int = 14,
                         count: int = 10) -> list[tuple[str, int]]:  # fmt: skip
    async with redis.pipeline(transaction=False) as pipe:
        for n in range(days):
            pipe.zrange(keys.day_procedures((today - timedelta(days=n)).isoformat()), 0, -1, withscores=True)
        per_day = await pipe.execute()
    totals: dict[str, float] = {}
    for day in per_day:
        for code, score in day:
            totals[code] = totals.get(code, 0) + score
    return [(code, int(score)) for code, score in sorted(totals.items(), key=lambda kv: -kv[1])[:count]]


def bar_chart(title: str, labels: list[str], values: list[float | None], *, percent: bool = False,
              empty: str = "Chưa có số liệu trong 14 ngày") -> str:  # fmt: skip
    """A labelled vertical bar chart as inline SVG, on a baseline. `None` is a day without data
    (drawn "–", not 0); when no bar has height, `empty` says why instead of leaving a blank band."""
    width, height, top, bottom = 640, 200, 24, 36
    peak = max((v for v in values if v is not None), default=0) or 1
    step = width / max(len(values), 1)
    base = height - bottom
    bars = [f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="#a0aec0"/>']
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = (height - top - bottom) * (value or 0) / peak
        x, y = i * step + step * 0.15, base - h
        shown = "–" if value is None else f"{100 * value:.0f}%" if percent else f"{value:g}"
        bars.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" fill="#2b6cb0"><title>'
            f"{escape(label)}: {shown}</title></rect>"
            f'<text x="{x + step * 0.35:.1f}" y="{y - 4:.1f}" font-size="10" text-anchor="middle">{shown}</text>'
            f'<text x="{x + step * 0.35:.1f}" y="{height - bottom + 14:.1f}" font-size="10" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    if not any(values):
        bars.append(f'<text class="empty" x="{width / 2:.0f}" y="{(top + base) / 2:.0f}" font-size="14" '
                    f'text-anchor="middle" fill="#4a5568">{escape(empty)}</text>')  # fmt: skip
    size = f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" style="max-width:100%;height:auto"'
    svg = f'<svg role="img" aria-label="{escape(title)}" {size}>'
    return f"<figure><figcaption>{escape(title)}</figcaption>{svg}{''.join(bars)}</svg></figure>"
