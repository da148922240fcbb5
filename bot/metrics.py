"""Prometheus metrics of this process. Each web and worker process exposes its own `/metrics`;
Prometheus sums them. Labels never carry personal data (no user ids, no text)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_RECEIVED = Counter(
    "tracuu_events_received_total", "Webhook deliveries by outcome.", ["result"]
)  # accepted, duplicate, refused, ignored, unavailable
EVENTS_PROCESSED = Counter("tracuu_events_processed_total", "Events handled and acknowledged by a worker.")
EVENTS_FAILED = Counter("tracuu_events_failed_total", "Event handlings that raised; left pending for a retry.")
EVENTS_DEAD = Counter("tracuu_events_dead_lettered_total", "Events given up after too many attempts.")
EVENTS_RECLAIMED = Counter("tracuu_events_reclaimed_total", "Events taken over from a worker that did not finish them.")
QUEUE_DEPTH = Gauge("tracuu_queue_depth", "Events in the intake streams (waiting or in progress).")
QUEUE_PENDING = Gauge("tracuu_queue_pending", "Events delivered to a worker and not yet acknowledged.")
SHARDS_OWNED = Gauge("tracuu_worker_shards", "Intake shards this worker reads.")
HANDLER_SECONDS = Histogram(
    "tracuu_handler_seconds", "Time to handle one event, replies sent, by handler.", ["handler"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)  # fmt: skip
INTAKE_TO_DONE_SECONDS = Histogram(
    "tracuu_event_latency_seconds", "From webhook acceptance to the last reply sent.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)  # fmt: skip
OUTBOUND_SENT = Counter("tracuu_outbound_sent_total", "Messages the OA API accepted.")
OUTBOUND_SKIPPED = Counter(
    "tracuu_outbound_already_sent_total", "Replies not sent again because an earlier attempt had sent them."
)
OUTBOUND_ERRORS = Counter("tracuu_outbound_errors_total", "OA API errors by Zalo error code.", ["code"])
RATE_LIMITED = Counter("tracuu_rate_limited_total", "Messages refused by a rate limit.", ["limit"])
NOTICES = Counter("tracuu_notices_total", "Dossier and payment notices by what became of them.", ["result"])
OUTBOUND_WAITED = Counter(
    "tracuu_outbound_budget_waits_total", "OA API calls held to the next second by OA_CALLS_PER_SECOND."
)
OA_AUTHORIZATION = Gauge(
    "tracuu_oa_authorization", "The OA's Zalo authorization: 1 for its current state (ok, expiring, lost).", ["state"]
)
OA_REFRESH_TOKEN_SECONDS_LEFT = Gauge(
    "tracuu_oa_refresh_token_seconds_left", "Seconds until the OA's refresh token expires, as last stored."
)
EVENTS_HELD = Gauge(
    "tracuu_events_held", "Events this worker holds because the OA's authorization is lost (not failures)."
)
WRITES_UNREPLICATED = Counter(
    "tracuu_writes_unreplicated_total",
    "Cluster writes kept by a primary that had no replica left to confirm them (see bot.replicated).",
)
