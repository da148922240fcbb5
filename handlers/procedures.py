"""Procedures: search by keyword, browse by life event, and the procedure card.

```mermaid
stateDiagram-v2
    [*] --> awaiting_query: #tracuuthutuc
    awaiting_query --> results: text
    [*] --> groups: #sukien
    groups --> group: #nhom <id>
    group --> sub_group: #nhomcon <id> <field>
    group --> card: #thutuc <code> (one field, or few procedures)
    sub_group --> card: #thutuc <code>
    results --> card: #thutuc <code>
```
"""

from __future__ import annotations

import re

from bot.dispatcher import Context, Router, command_is, is_free_text, is_text, state_is
from bot.replies import Button, ListItem, ListReply, Reply, Text
from handlers.answers import name_for_button, procedure_card
from handlers.content import MENU_BUTTON
from lookup.catalog import Catalog, LifeEventGroup, Procedure
from lookup.text import fold, short_name, shorten, words
from understanding import intents as I

router = Router("procedures")
# Intents whose words are a procedure search when the bot has just asked "which procedure?".
# A question with a facet ("... cần giấy tờ gì") goes on to the understanding router's direct answer.
SEARCHABLE = frozenset({I.PROCEDURE_SEARCH, I.OUT_OF_SCOPE, I.LIFE_EVENTS})
AWAITING_QUERY = "procedures:awaiting_query"
GROUPS_PER_PAGE = 4
ITEMS_PER_PAGE = 5
_NATIONAL_CODE = re.compile(r"^\s*(\d\.\d{6})\s*$")


# What a phone shows of a list item's title before it cuts it: items alike that far read as one.
SEEN_OF_A_TITLE = 60


def distinct_titles(names: list[str], limit: int = 100, seen: int = SEEN_OF_A_TITLE) -> list[str]:
    """Titles for a list: each name shortened (long asides elided), and where two read alike as far
    as a phone shows ("Thủ tục thay đổi, cải chính, bổ sung thông tin hộ tịch, xác định lại d…" twice),
    the words they share cut to their opening and the words that tell them apart kept: "Thủ tục thay
    đổi, cải chính… xác định lại dân tộc" beside "Thủ tục thay đổi, cải chính… dân tộc có yếu tố
    nước ngoài"."""
    titles = [short_name(n, limit) for n in names]
    # Where eliding an aside made two items read alike, the aside was what told them apart: cut plainly.
    titles = [shorten(n, limit) if titles.count(t) > 1 else t for n, t in zip(names, titles, strict=True)]
    out = []
    for i, (name, title) in enumerate(zip(names, titles, strict=True)):
        alike = [names[j] for j, t in enumerate(titles) if j != i and t[:seen].lower() == title[:seen].lower()]
        if not alike:
            out.append(title)
            continue
        words = name.split()
        shared = max(_shared_words(words, other.split()) for other in alike)
        start = max(shared - 2, 0) if shared < len(words) else max(len(words) - 5, 0)  # a name the other runs on
        while start > 0 and " ".join(words[start:]).count(")") > " ".join(words[start:]).count("("):
            start -= 1  # "(thực hiện tại cấp tỉnh)" whole, not "tại cấp tỉnh)"
        opening = " ".join(words[:start])
        if len(opening) > 32:  # its opening words, to a comma where there is one
            cut = opening[:32]
            opening = cut[: cut.rfind(",")] if cut.rfind(",") >= 12 else shorten(opening, 32).rstrip("…")
        opening = opening.rstrip(" ,;")
        tail = " ".join(words[start:])
        out.append(shorten(f"{opening}… {tail}" if opening else tail, limit))
    return out


def _shared_words(a: list[str], b: list[str]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n].lower() == b[n].lower():
        n += 1
    return n


def procedure_list(procedures: list[Procedure], more: str | None) -> ListReply:
    titles = distinct_titles([p.name for p in procedures])
    items = tuple(
        ListItem(title, f"{p.code} · {p.level or ''}", action=Button(shorten(p.name, 40), f"#thutuc {p.code}"))
        for p, title in zip(procedures, titles, strict=True)
    )
    buttons = ([Button("Xem thêm", more)] if more else []) + [MENU_BUTTON]
    return ListReply(items, tuple(buttons))


# A fact asked of no procedure ("lệ phí bao nhiêu" with nothing on screen): of which one?
_ASKED_OF_WHICH = {"documents": "giấy tờ cần nộp", "fee": "lệ phí", "time": "thời gian giải quyết",
                   "where": "nơi nộp hồ sơ", "online": "cách nộp trực tuyến", "form": "mẫu đơn, tờ khai",
                   "result": "kết quả"}  # fmt: skip


@router.on(command_is("#tracuuthutuc"))
async def ask_for_query(ctx: Context, facet: str | None = None) -> list[Reply]:
    ctx.set_state(AWAITING_QUERY)
    ctx.meta["flow"] = "search"
    opening = f"Bạn hỏi {_ASKED_OF_WHICH[facet]} của thủ tục nào?" if facet in _ASKED_OF_WHICH else (
        "Bạn cần làm thủ tục gì?")  # fmt: skip
    return [Text(
        f"{opening} Gõ tên thủ tục, ví dụ \"đăng ký khai sinh\", \"đổi giấy phép lái xe\", "
        "hoặc gõ mã thủ tục (ví dụ 1.004194). Bạn cũng có thể tìm theo nhóm sự kiện.",
        (Button("Thủ tục theo sự kiện", "#sukien"), MENU_BUTTON),
    )]  # fmt: skip


@router.on(command_is("#sukien"))
async def groups(ctx: Context) -> list[Reply]:
    ctx.meta["flow"] = "search"
    arg = ctx.command()[1]
    page = _page_number(arg)
    all_groups = list(ctx.deps.catalog.groups.values())
    start = (page - 1) * GROUPS_PER_PAGE
    shown = all_groups[start : start + GROUPS_PER_PAGE]
    if not shown:
        page, shown = 1, all_groups[:GROUPS_PER_PAGE]
    audience = "công dân" if shown[0].audience == "citizen" else "doanh nghiệp"
    buttons = [Button(g.name, f"#nhom {g.id}") for g in shown]
    if start + GROUPS_PER_PAGE < len(all_groups):
        buttons.append(Button("Xem thêm nhóm", f"#sukien {page + 1}"))
    return [Text(f"Chọn nhóm sự kiện ({audience}):", tuple(buttons))]


@router.on(command_is("#nhom"))
async def group(ctx: Context) -> list[Reply]:
    """A group's sub-groups (its fields), a page of buttons at a time; a small group or one with a
    single field lists its procedures straight away."""
    ctx.meta["flow"] = "search"
    group_id, _, page_text = ctx.command()[1].partition(" ")
    group = ctx.deps.catalog.group(group_id)
    if group is None:
        return await groups(ctx)
    fields = ctx.deps.catalog.group_fields(group.id)
    total = sum(len(procedures) for _, procedures in fields)
    essentials = ctx.deps.content.essentials.get(group.id)
    if essentials is not None and not page_text:  # the first steps, then the whole shelf a tap away
        first = [p for c in essentials.procedures if (p := ctx.deps.catalog.get(c)) is not None]
        buttons = [Button(shorten(name_for_button(p.name), 40), f"#thutuc {p.code}") for p in first[:3]]
        return [Text(essentials.text, (*buttons, Button(f"Cả nhóm ({total} thủ tục)", f"#nhom {group.id} 1")))]
    if _lists_whole_group(fields):
        return _sub_group_page(group.id, group.name, 0, fields, 1)
    page = _page_number(page_text)
    start = (page - 1) * GROUPS_PER_PAGE
    if start >= len(fields):
        page, start = 1, 0
    buttons = [Button(f"{_short(name)} ({len(procedures)})", f"#nhomcon {group.id} {start + i}")
               for i, (name, procedures) in enumerate(fields[start : start + GROUPS_PER_PAGE])]  # fmt: skip
    if start + GROUPS_PER_PAGE < len(fields):
        buttons.append(Button("Xem thêm lĩnh vực", f"#nhom {group.id} {page + 1}"))
    intro = f'Nhóm "{group.name}": {total} thủ tục trong {len(fields)} lĩnh vực. Chọn lĩnh vực:'
    return [Text(intro, tuple(buttons))]


@router.on(command_is("#nhomcon"))
async def sub_group(ctx: Context) -> list[Reply]:
    ctx.meta["flow"] = "search"
    group_id, index_text, page_text = [*ctx.command()[1].split(" "), "", ""][:3]
    group = ctx.deps.catalog.group(group_id)
    fields = ctx.deps.catalog.group_fields(group_id) if group else []
    if group is None or not index_text.isdigit() or int(index_text) >= len(fields):
        return await groups(ctx)
    return _sub_group_page(group.id, group.name, int(index_text), fields, _page_number(page_text))


_NAMING_NOTHING = frozenset({"thu", "tuc", "ve", "cac", "nhung", "lam", "tra", "cuu", "tim", "hanh", "chinh", "va"})


def groups_named(catalog: Catalog, query: str) -> list[LifeEventGroup]:
    """Life-event groups whose name holds the words a category query names ("thủ tục đất đai" ->
    "Điện lực, nhà ở, đất đai"): a search that finds no one procedure can still open the right shelf."""
    typed = re.findall(r"[^\W_]+", query.lower())
    # With its marks when typed with them: "hưu trí" is not "sở hữu trí tuệ".
    marked = any(fold(w) != w for w in typed)
    form = (lambda text: re.findall(r"[^\W_]+", text.lower())) if marked else words
    phrase = " ".join(w for w in form(query) if fold(w) not in _NAMING_NOTHING)
    if not phrase:
        return []
    return [g for g in catalog.groups.values() if f" {phrase} " in f" {' '.join(form(g.name))} "]


def _page_number(text: str) -> int:
    return int(text) if text.isdigit() else 1


def _lists_whole_group(fields: list[tuple[str, list[Procedure]]]) -> bool:
    """A group with one field, or with no more procedures than one page, skips the sub-groups."""
    return len(fields) == 1 or sum(len(procedures) for _, procedures in fields) <= ITEMS_PER_PAGE


def _short(field: str, limit: int = 50) -> str:
    return field if len(field) <= limit else field[: limit - 1].rstrip(" ,") + "…"


def _sub_group_page(group_id: str, group_name: str, index: int, fields: list[tuple[str, list[Procedure]]],
                    page: int) -> list[Reply]:  # fmt: skip
    if _lists_whole_group(fields):
        title, procedures, next_command = group_name, [p for _, ps in fields for p in ps], f"#nhomcon {group_id} 0"
    else:
        field, procedures = fields[index]
        title, next_command = f"{group_name} › {field}", f"#nhomcon {group_id} {index}"
    pages = max(1, -(-len(procedures) // ITEMS_PER_PAGE))
    page = min(max(page, 1), pages)
    start = (page - 1) * ITEMS_PER_PAGE
    more = f"{next_command} {page + 1}" if page < pages else None
    return [Text(f"{title}: {len(procedures)} thủ tục (trang {page}/{pages})."),
            procedure_list(procedures[start:start + ITEMS_PER_PAGE], more)]  # fmt: skip


@router.on(command_is("#thutuc"))
async def card(ctx: Context) -> list[Reply]:
    ctx.meta["flow"] = "search"
    procedure = ctx.deps.catalog.get(ctx.command()[1])
    if procedure is None:
        return [Text("Không tìm thấy thủ tục này.", (Button("Tìm thủ tục khác", "#tracuuthutuc"), MENU_BUTTON))]
    ctx.meta["procedure_code"] = procedure.code
    return [procedure_card(procedure, ctx.deps.base_url, ctx.now.date())]


@router.on(lambda ctx: is_text(ctx) and bool(_NATIONAL_CODE.match(ctx.text)))
async def card_by_typed_code(ctx: Context) -> list[Reply]:
    ctx.event = ctx.event.model_copy(update={"text": f"#thutuc {ctx.text.strip()}"})
    return await card(ctx)


def _is_query(ctx: Context) -> bool:
    """Asked "which procedure?": the answer is a search, unless it plainly means something else
    ("cảm ơn", "tra cứu hồ sơ"), which the understanding router then takes."""
    return is_free_text(ctx) and (ctx.interpretation.ambiguous or ctx.interpretation.intent in SEARCHABLE)


@router.on(state_is(AWAITING_QUERY), _is_query)
async def search(ctx: Context) -> list[Reply]:
    return results(ctx, ctx.text, 1)


@router.on(command_is("#timthem"))
async def more_results(ctx: Context) -> list[Reply]:
    page_text, _, query = ctx.command()[1].partition(" ")
    return results(ctx, query, _page_number(page_text))


def results(ctx: Context, query: str, page: int) -> list[Reply]:
    ctx.meta["flow"] = "search"
    ctx.meta["search_query"] = query[:100]
    codes = ctx.deps.search(query, ITEMS_PER_PAGE + 1, (page - 1) * ITEMS_PER_PAGE)
    if not codes:
        ctx.meta["outcome"] = "not_found"
        if page > 1:
            return [Text("Không còn kết quả nào khác.", (Button("Tìm thủ tục khác", "#tracuuthutuc"), MENU_BUTTON))]
        groups = [Button(g.name, f"#nhom {g.id}") for g in groups_named(ctx.deps.catalog, query)[:2]]
        return [Text(
            f"Không tìm thấy thủ tục phù hợp với \"{query[:60]}\". Bạn thử gõ ngắn gọn hơn (ví dụ \"khai sinh\", "
            "\"tạm trú\"), tìm theo nhóm sự kiện, hoặc gọi tổng đài hỗ trợ.",
            (*groups, Button("Thủ tục theo sự kiện", "#sukien"), Button("Hỗ trợ", "#hotro"), MENU_BUTTON),
        )]  # fmt: skip
    if page == 1 and len(codes) == 1 and (only := ctx.deps.catalog.get(codes[0])) is not None:
        ctx.meta["procedure_code"] = only.code  # a list of one is that procedure: its card, not a list
        return [procedure_card(only, ctx.deps.base_url, ctx.now.date())]
    shown = codes[:ITEMS_PER_PAGE]
    ctx.meta["search_results"] = shown
    ctx.meta["search_page"] = page
    procedures = [p for c in shown if (p := ctx.deps.catalog.get(c))]
    # One more than a page was asked for: its presence is what says there is a next page.
    more = f"#timthem {page + 1} {query[:80]}" if len(codes) > ITEMS_PER_PAGE else None
    heading = f'Các thủ tục phù hợp với "{query[:60]}"' + (f" (trang {page}):" if page > 1 else ":")
    return [Text(heading), procedure_list(procedures, more)]
