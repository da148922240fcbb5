"""Conversation content loaded from fixtures (menu, guides) and shared reply pieces."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.replies import Button, Text
from lookup.calendar import VN_TZ
from lookup.catalog import FIXTURES_DIR
from lookup.province import Province
from lookup.text import fold


@dataclass(frozen=True)
class GuideTopic:
    id: str
    title: str
    steps: tuple[str, ...]


@dataclass(frozen=True)
class OutsideTopic:
    """Something citizens ask the portal that is not one of its procedures (a divorce is the court's,
    a birth's medical certificate the hospital's): where it is done, and the procedures around it."""

    id: str
    title: str
    terms: tuple[str, ...]  # folded phrases that name it
    unless: tuple[str, ...]  # folded phrases that make the message about an existing procedure
    text: str
    procedures: tuple[str, ...]

    def named_in(self, text: str) -> bool:
        padded = f" {fold(text)} "
        return any(f" {t} " in padded for t in self.terms) and not any(f" {u} " in padded for u in self.unless)

    def without_terms(self, text: str) -> str:
        """The folded text with the topic's own words taken out: what else it names."""
        padded = f" {fold(text)} "
        for term in self.terms:
            padded = padded.replace(f" {term} ", " ")
        return " ".join(padded.split())


@dataclass(frozen=True)
class Essentials:
    """What most citizens of a life event do first, before its group's shelves of procedures."""

    text: str
    procedures: tuple[str, ...]


@dataclass(frozen=True)
class Content:
    menu: tuple[Button, ...]
    guides: dict[str, GuideTopic]
    outside: tuple[OutsideTopic, ...] = ()
    essentials: dict[str, Essentials] = field(default_factory=dict)  # life-event group id -> its first steps

    def outside_topic(self, text: str) -> OutsideTopic | None:
        """The first topic outside the catalog that the message names, if any."""
        return next((t for t in self.outside if t.named_in(text)), None)

    @classmethod
    def load(cls, province: Province, fixtures: Path = FIXTURES_DIR) -> Content:
        menu = json.loads((fixtures / "menu.json").read_text(encoding="utf-8"))["items"]
        guides = json.loads((fixtures / "guides.json").read_text(encoding="utf-8"))["topics"]
        outside = json.loads((fixtures / "outside_catalog.json").read_text(encoding="utf-8"))["topics"]
        essentials = json.loads((fixtures / "life_event_essentials.json").read_text(encoding="utf-8"))["groups"]
        values = {"portal_url": province.portal_url, "national_portal_url": province.national_portal_url,
                  "oa_name": province.oa_name}  # fmt: skip
        return cls(
            menu=tuple(Button(item["title"], item["payload"]) for item in menu),
            guides={t["id"]: GuideTopic(t["id"], t["title"], tuple(s.format(**values) for s in t["steps"]))
                    for t in guides},
            outside=tuple(OutsideTopic(t["id"], t["title"], tuple(t["terms"]), tuple(t["unless"]), t["text"],
                                       tuple(t["procedures"])) for t in outside),
            essentials={g["id"]: Essentials(g["text"], tuple(g["procedures"])) for g in essentials},
        )  # fmt: skip


MENU_BUTTON = Button("Về menu chính", "#menu")
# The conversation data's key (the bot's own: flows' states leave it) of a security code asked for
# and not yet given, read by the payment flow and cleared by the ways back to the menu.
PAYMENT_PROMPT = "_payment_prompt"
PAYMENT_ENDED = "_payment_ended"  # when the last payment ended: its code may still be typed a while


MENU_INTRO = "Bạn cần hỗ trợ gì? Chọn một mục dưới đây:"


def menu_reply(content: Content, intro: str = MENU_INTRO) -> Text:
    return Text(intro, content.menu)


def when(moment: datetime) -> str:
    return moment.astimezone(VN_TZ).strftime("%H:%M ngày %d/%m/%Y")
