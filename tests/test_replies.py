"""bot.replicated.read_replies: the answers of a pipelined write read from the connection's stream,
as redis-py's parser gives them (integers, arrays, errors as its exception classes), whatever
chunks they arrive in; a stream that ends or carries something else is a ConnectionError."""

import asyncio

import pytest
from redis._parsers import _AsyncRESP2Parser
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import MovedError, NoScriptError, ResponseError

from bot.replicated import read_replies

ANSWERS = (
    b"*3\r\n:1\r\n:0\r\n:1\r\n-NOSCRIPT No matching script.\r\n:1\r\n*0\r\n"
    b"-MOVED 3999 127.0.0.1:6381\r\n+OK\r\n$3\r\nabc\r\n$-1\r\n"
)


class Conn:
    def __init__(self, chunks: list[bytes], eof: bool = True) -> None:
        self._reader = asyncio.StreamReader()
        self._parser = _AsyncRESP2Parser(65536)
        self.health_check_interval = 30
        self.next_health_check = -1.0
        self.chunks, self.eof = chunks, eof

    async def feed(self) -> None:
        for chunk in self.chunks:
            await asyncio.sleep(0)
            self._reader.feed_data(chunk)
        if self.eof:
            self._reader.feed_eof()


async def read(chunks: list[bytes], count: int, eof: bool = False) -> tuple[list, Conn]:
    conn = Conn(chunks, eof)
    feeding = asyncio.create_task(conn.feed())
    try:
        return await read_replies(conn, count), conn
    finally:
        await feeding


@pytest.mark.parametrize("size", [1, 2, 3, 7, len(ANSWERS)])
async def test_answers_in_any_chunks_are_read_as_redis_py_gives_them(size):
    chunks = [ANSWERS[i : i + size] for i in range(0, len(ANSWERS), size)]
    answers, conn = await read(chunks, 8)
    assert answers[0] == [1, 0, 1] and answers[2] == 1 and answers[3] == []
    assert isinstance(answers[1], NoScriptError) and isinstance(answers[4], MovedError)
    assert answers[4].slot_id == 3999 and answers[4].port == 6381
    assert answers[5:] == ["OK", "abc", None]
    assert conn.next_health_check > 0, "the connection's health check is put off, as after redis-py's reads"


async def test_an_error_is_the_exception_class_redis_pys_parser_makes():
    answers, _ = await read([b"-ERR wrong number of arguments\r\n"], 1)
    assert type(answers[0]) is ResponseError and str(answers[0]) == "wrong number of arguments"


async def test_a_stream_that_ends_or_says_something_else_is_a_connection_error():
    with pytest.raises(RedisConnectionError):
        await read([b"*2\r\n:1\r\n"], 1, eof=True)  # closed halfway through an answer
    with pytest.raises(RedisConnectionError):
        await read([b":1\r\n:2\r\n"], 1)  # more than was asked: the connection is out of step
    with pytest.raises(RedisConnectionError):
        await read([b"%1\r\n+a\r\n:1\r\n"], 1)  # a map: no script of ours answers one
    with pytest.raises(RedisConnectionError):
        await read([b":x\r\n"], 1)
    with pytest.raises(RedisConnectionError):
        await read([b"-LOADING Redis is loading the dataset in memory\r\n"], 1)  # as redis-py raises it
