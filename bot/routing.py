"""The root dispatcher: flows in priority order. Ways back to the menu come first so that "huỷ"
always works; generic catches (media, fallback) come last."""

from __future__ import annotations

from bot.dispatcher import Dispatcher
from handlers import (
    answers,
    fallback,
    follow,
    guidance,
    handoff,
    help_topics,
    lookup_code,
    media,
    payment,
    procedures,
    qr_photo,
    start,
    support,
    understood,
)


def build_dispatcher() -> Dispatcher:
    return Dispatcher([
        start.router,        # follow, chat-now, unfollow, huỷ / menu / 0
        handoff.router,      # gặp cán bộ / tư vấn viên / #gapcanbo
        follow.router,       # #theodoi, #botheodoi
        payment.router,      # #thanhtoan, then the code and the security code it asks for
        lookup_code.router,  # #tracuuhoso, #tiendo, any text holding a dossier code
        procedures.router,   # #tracuuthutuc, life events, procedure cards, keyword search
        answers.router,      # #hoi <facet> <code>: one fact of a procedure, from its record
        guidance.router,     # #huongdan and its steps
        support.router,      # #hotro
        qr_photo.router,     # photos of a receipt's QR code
        media.router,        # other media
        help_topics.router,  # where the codes are on the receipt, complaints and feedback
        understood.router,   # typed text no state claimed, by its interpretation (ask which when unsure)
        fallback.router,     # anything else
    ])  # fmt: skip
