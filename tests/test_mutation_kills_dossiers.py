"""The processing time an officer may set when receiving a dossier: from any part of a day up to
365 working days (a year's work); none, a negative time or more than that is refused (422 at the
API), and the due date follows the time set."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.test_store import receive_request


@pytest.mark.parametrize("days", [0.5, 365])
async def test_a_processing_time_from_half_a_day_to_365_working_days_is_taken(service, days: float):
    dossier = await service.receive(receive_request(processing_days=days))
    assert dossier.due_at > dossier.received_at


@pytest.mark.parametrize("days", [0, -1, 365.5, 366])
def test_no_time_a_negative_one_or_more_than_365_working_days_is_refused(days: float):
    with pytest.raises(ValidationError, match="processing_days"):
        receive_request(processing_days=days)
