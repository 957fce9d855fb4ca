"""For operators and load balancers, on each front's own port (nginx does not route them):
/healthz says the process lives; /readyz that the API and its database answer."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import tornado.web

from contract import envelope_pb2

if TYPE_CHECKING:
    from web.app import VitrineApplication

# Readiness is asked often and must fail fast: a worker or database slower than this counts as
# not answering.
READY_DEADLINE_MS = 500


class HealthHandler(tornado.web.RequestHandler):
    """Answers without any call: a process that can run this handler lives."""

    def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.finish({"status": "ok"})


class ReadinessHandler(tornado.web.RequestHandler):
    """Ping (a worker answers) and CheckDatabase (its database answers) in one batch."""

    application: VitrineApplication

    async def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        api = self.application.api
        if api is None or self.application.draining:
            self.set_status(503)
            self.finish({"status": "draining" if api is not None else "no api"})
            return
        self.trace_id = secrets.token_hex(8)
        batch = api.batch(self.trace_id)
        ping = batch.operations.Ping(required=False, deadline_ms=READY_DEADLINE_MS)
        database = batch.operations.CheckDatabase(required=False, deadline_ms=READY_DEADLINE_MS)
        await batch
        checks = {
            "api": "ok" if ping.ok else envelope_pb2.Status.Name(ping.status),
            "database": "ok" if database.ok else envelope_pb2.Status.Name(database.status),
        }
        ready = ping.ok and database.ok
        self.set_status(200 if ready else 503)
        self.finish({"status": "ready" if ready else "not ready", **checks})
