"""What the transcript keeps of a reading, for staff asking why the bot answered as it did: the
intent, its confidence and runner-up, and where the reading came from (the model, a rule, a
command), not the model's whole ranking nor the citizen's words."""

from __future__ import annotations

from understanding.interpreter import default_interpreter


def test_a_readings_transcript_note_says_where_it_came_from_and_not_the_whole_ranking() -> None:
    interpreter = default_interpreter()
    model = interpreter.interpret("lệ phí qqq www").as_meta()
    assert model["source"] == "model" and model["intent"] == "pay_fees"
    assert set(model) == {"intent", "confidence", "runner_up", "source"}, model
    command = interpreter.interpret("#hotro").as_meta()
    assert command == {"intent": "hotline", "confidence": 1.0, "source": "command", "command": "#hotro"}
