"""What counts as the store being away (the turn tried again, the webhook answering 503) rather than
a handler's bug (answered "sorry"): redis-py's own errors, and anything raised inside redis-py's code,
as its async cluster client does mid-failover (AttributeError on a connection the dead primary
closed). Found by the cluster's failover run: 3 citizens got "sorry" instead of their reply."""

from __future__ import annotations

import pytest
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException

from bot.redis_conn import is_store_failure


def _raised(action) -> BaseException:
    with pytest.raises(BaseException) as info:
        action()
    return info.value


def test_an_error_raised_inside_redis_py_is_the_stores_failure():
    # A real AttributeError from inside redis-py's code (a connection object missing its parts).
    inside = _raised(lambda: AbstractConnection.pack_command(None, "PING"))
    assert isinstance(inside, AttributeError) and is_store_failure(inside)


def test_redis_errors_are_the_stores_failure_and_a_handlers_own_bug_is_not():
    assert is_store_failure(RedisConnectionError("gone")) and is_store_failure(RedisClusterException("down"))
    assert is_store_failure(ConnectionResetError())
    ours = _raised(lambda: None.upper())  # type: ignore[attr-defined]  # a bug in our own code
    assert isinstance(ours, AttributeError) and not is_store_failure(ours)
