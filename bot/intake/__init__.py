"""Durable intake: the webhook appends events to sharded Redis Streams; workers consume them."""
