"""Prometheus metrics: HTTP traffic and SSE clients live; sessions, LLM use and queue at scrape."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from consensusnet.compose import App
from consensusnet.store.session_admin import SessionAdmin


class ApiMetrics:
    """One registry per API process (so tests can build many apps)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "consensusnet_http_requests",
            "HTTP requests.",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "consensusnet_http_request_duration_seconds",
            "HTTP request latency.",
            ["method", "route"],
            registry=r,
        )
        self.sse_clients = Gauge("consensusnet_sse_clients", "Open SSE streams.", registry=r)
        self.sessions = Gauge(
            "consensusnet_sessions", "Sessions by status.", ["status"], registry=r
        )
        labels = ["provider", "model"]
        self.llm_calls = Gauge("consensusnet_llm_calls", "Recorded LLM calls.", labels, registry=r)
        self.llm_tokens = Gauge(
            "consensusnet_llm_tokens", "LLM tokens.", [*labels, "direction"], registry=r
        )
        self.llm_cost = Gauge("consensusnet_llm_cost_usd", "LLM cost in USD.", labels, registry=r)
        self.llm_latency = Gauge(
            "consensusnet_llm_latency_seconds_sum", "Summed LLM call latency.", labels, registry=r
        )
        self.queue_depth = Gauge(
            "consensusnet_queue_depth", "Sessions waiting for a worker.", registry=r
        )

    async def refresh(self, app: App) -> None:
        """Read what lives in the database into the gauges."""
        services = await app.services()
        admin = SessionAdmin(services.engine)
        self.sessions.clear()
        for status, count in (await admin.count_by_status()).items():
            self.sessions.labels(status=status).set(count)
        for usage in await admin.llm_usage():
            key = {"provider": usage.provider, "model": usage.model}
            self.llm_calls.labels(**key).set(usage.calls)
            self.llm_tokens.labels(**key, direction="input").set(usage.input_tokens)
            self.llm_tokens.labels(**key, direction="output").set(usage.output_tokens)
            self.llm_cost.labels(**key).set(usage.cost_usd)
            self.llm_latency.labels(**key).set(usage.latency_s)
        depth = getattr(app.runtime, "queue_depth", None)
        if depth is not None and getattr(app.runtime, "mode", "inline") != "inline":
            self.queue_depth.set(await depth())

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
