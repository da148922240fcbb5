"""Reading the QR on a citizen's photo: fetch it safely, then decode it in a small thread pool so
that one heavy photo does not stall every other conversation on the event loop (zbar, Pillow and
numpy release the GIL in their C code, so two threads use both cores)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from bot.image_fetch import ImageFetcher
from lookup.qr import decode


class PhotoReader:
    def __init__(self, fetcher: ImageFetcher, workers: int = 2, queue: int = 8) -> None:
        self.fetcher = fetcher
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="qr")
        # Bounds photos waiting for a decoder: beyond it, waiting is better than piling up memory.
        self.slots = asyncio.Semaphore(queue)

    async def read(self, url: str) -> list[str]:
        """QR payloads on the photo at `url`. Raises ImageFetchError or QRDecodeError."""
        async with self.slots:
            data = await self.fetcher.fetch(url)
            return await asyncio.get_running_loop().run_in_executor(self.executor, decode, data)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
