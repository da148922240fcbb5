"""Replaying recorded conversations against the current bot: transcript files, the sandbox that
captures the bot's replies instead of sending them, declared volatile parts, and the turn diff."""
