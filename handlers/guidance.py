"""Step-by-step guidance from the provincial portal guides, with buttons between steps.

```mermaid
stateDiagram-v2
    [*] --> topics: #huongdan
    topics --> step: #hd <topic> 1
    step --> step: Tiếp theo / Quay lại
    step --> topics: Chủ đề khác
```
"""

from __future__ import annotations

import itertools

from bot.dispatcher import Context, Router, command_is
from bot.replies import Button, Reply, Text
from handlers.content import MENU_BUTTON, Content
from lookup.text import fold

router = Router("guidance")


def topics_reply(content: Content) -> list[Reply]:
    topics = list(content.guides.values())
    buttons = [Button(t.title, f"#hd {t.id} 1") for t in topics]
    replies: list[Reply] = [Text("Bạn muốn xem hướng dẫn nào?", tuple(buttons[:5]))]
    rest = [*buttons[5:], Button("Liên hệ hỗ trợ", "#hotro"), MENU_BUTTON]
    replies.append(Text("Hoặc:", tuple(rest[:5])))
    return replies


def step_asked(content: Content, topic_id: str, text: str) -> int:
    """The step a question is about ("quên mật khẩu" -> the step that says what to do then): the
    step of the topic holding a word pair of the question that no other step of any guide holds;
    the first step when none does (or several steps do)."""
    topic = content.guides.get(topic_id)
    if topic is None:
        return 1
    every_step = [_padded(step) for guide in content.guides.values() for step in guide.steps]
    steps = [_padded(step) for step in topic.steps]
    words = fold(text).split()
    pairs = [f" {a} {b} " for a, b in itertools.pairwise(words)]
    rare = [pair for pair in pairs if sum(pair in step for step in every_step) == 1]
    holding = {i for pair in rare for i, step in enumerate(steps) if pair in step}
    return min(holding) + 1 if len(holding) == 1 else 1


def _padded(step: str) -> str:
    return f" {' '.join(fold(step).replace(',', ' ').replace('.', ' ').split())} "


def step_reply(content: Content, topic_id: str, number: int) -> Text | None:
    topic = content.guides.get(topic_id)
    if topic is None or not 1 <= number <= len(topic.steps):
        return None
    buttons = []
    if number < len(topic.steps):
        buttons.append(Button("Tiếp theo ▶", f"#hd {topic.id} {number + 1}"))
    if number > 1:
        buttons.append(Button("◀ Quay lại", f"#hd {topic.id} {number - 1}"))
    buttons += [Button("Chủ đề khác", "#huongdan"), MENU_BUTTON]
    header = f"📘 {topic.title} ({number}/{len(topic.steps)})"
    return Text(f"{header}\n{topic.steps[number - 1]}", tuple(buttons))


@router.on(command_is("#huongdan"))
async def topics(ctx: Context) -> list[Reply]:
    ctx.set_state(None)
    ctx.meta["flow"] = "guidance"
    return topics_reply(ctx.deps.content)


@router.on(command_is("#hd"))
async def step(ctx: Context) -> list[Reply]:
    ctx.meta["flow"] = "guidance"
    topic_id, _, number = ctx.command()[1].partition(" ")
    reply = step_reply(ctx.deps.content, topic_id, int(number) if number.isdigit() else 1)
    return [reply] if reply else topics_reply(ctx.deps.content)
