"""Prometheus metrics for `protocolbot serve` (prometheus_client, one registry per server).

Requests and their latency per route, reviews per verdict, walks, escalations, the knowledge
version in use and whether the store answers. Labels are routes, verdicts and statuses only:
no user, no text, no id ever becomes a label.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    generate_latest,
)

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "protocolbot_http_requests",
            "HTTP requests answered",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "protocolbot_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["route"],
            buckets=BUCKETS,
            registry=r,
        )
        self.reviews = Counter("protocolbot_reviews", "Drafts reviewed", ["verdict"], registry=r)
        self.walks = Counter(
            "protocolbot_walks",
            "Rule-15 walks: started, cancelled, outcome:<kind>",
            ["event"],
            registry=r,
        )
        self.escalations = Counter(
            "protocolbot_escalations", "Escalations by status change", ["status"], registry=r
        )
        self.second_opinions = Counter(
            "protocolbot_second_opinions",
            "Second opinions of the language model: ok, unavailable, rejected",
            ["status"],
            registry=r,
        )
        self.knowledge = Info("protocolbot_knowledge", "The knowledge version in use", registry=r)
        self.store_up = Gauge(
            "protocolbot_store_up", "1 when the store answered its last check", registry=r
        )
        self._by_metric = {
            "review": self.reviews,
            "walk": self.walks,
            "escalation": self.escalations,
        }

    def tally(self, metric: str, key: str) -> None:
        """The core's counted events (`Bot.on_tally`); per-rule counts stay in the store."""
        counter = self._by_metric.get(metric)
        if counter is not None:
            counter.labels(key).inc()

    def request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
