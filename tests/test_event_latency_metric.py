"""/metrics' event latency (webhook acceptance to the last reply sent) is what operators alert on:
a message answered at once must show as answered within seconds."""

from __future__ import annotations

import asyncio
import re


async def latency(live) -> tuple[float, float]:
    """(how many events were observed, their summed seconds): the process's registry, so a test
    reads the change it caused."""
    async with live.http.get(f"{live.base}/metrics") as r:
        text = await r.text()
    count = re.search(r"^tracuu_event_latency_seconds_count (\S+)$", text, re.M)
    total = re.search(r"^tracuu_event_latency_seconds_sum (\S+)$", text, re.M)
    return (float(count.group(1)) if count else 0.0), (float(total.group(1)) if total else 0.0)


async def test_a_message_answered_at_once_shows_in_the_latency_as_seconds_not_years(live):
    count_before, sum_before = await latency(live)
    assert len(await live.say("latency-citizen", "#hotro")) == 1
    for _ in range(50):  # the observation follows the last reply's mark
        count_after, sum_after = await latency(live)
        if count_after > count_before:
            break
        await asyncio.sleep(0.05)
    assert count_after == count_before + 1
    assert 0.0 <= sum_after - sum_before < 10.0
