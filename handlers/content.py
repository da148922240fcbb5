"""Conversation content loaded from fixtures (menu, guides) and shared reply pieces."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.replies import Button, Text
from lookup.calendar import VN_TZ
from lookup.catalog import FIXTURES_DIR
from lookup.province import Province


@dataclass(frozen=True)
class GuideTopic:
    id: str
    title: str
    steps: tuple[str, ...]


@dataclass(frozen=True)
class Content:
    menu: tuple[Button, ...]
    guides: dict[str, GuideTopic]

    @classmethod
    def load(cls, province: Province, fixtures: Path = FIXTURES_DIR) -> Content:
        menu = json.loads((fixtures / "menu.json").read_text(encoding="utf-8"))["items"]
        guides = json.loads((fixtures / "guides.json").read_text(encoding="utf-8"))["topics"]
        values = {"portal_url": province.portal_url, "national_portal_url": province.national_portal_url,
                  "oa_name": province.oa_name}  # fmt: skip
        return cls(
            menu=tuple(Button(item["title"], item["payload"]) for item in menu),
            guides={t["id"]: GuideTopic(t["id"], t["title"], tuple(s.format(**values) for s in t["steps"]))
                    for t in guides},
        )  # fmt: skip


MENU_BUTTON = Button("Về menu chính", "#menu")


def menu_reply(content: Content, intro: str = "Bạn cần hỗ trợ gì? Chọn một mục dưới đây:") -> Text:
    return Text(intro, content.menu)


def when(moment: datetime) -> str:
    return moment.astimezone(VN_TZ).strftime("%H:%M ngày %d/%m/%Y")
