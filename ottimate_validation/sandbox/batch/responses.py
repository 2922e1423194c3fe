"""HTTP layer for batches (§16): list, progress, results, and the 202 body every bulk producer sends."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ..core import dates
from ..core.context import Ctx
from ..core.pagination import PageRequest
from ..routing import Route
from .models import Batch


def accepted(ctx: Ctx, batch: Batch, summary: dict[str, Any]) -> Response:
    """The 202 answer of an async bulk endpoint; URLs are relative, under /v1/batch/{id}/ (§16)."""
    return ctx.respond(
        {
            "version": ctx.version,
            "status": "processing",
            "batch_id": batch.id,
            "batch_url": f"/v1/batch/{batch.id}/progress",
            "results_url": f"/v1/batch/{batch.id}/results",
            "summary": summary,
        },
        202,
    )


def list_batches(ctx: Ctx) -> Response:
    page = PageRequest.from_query(ctx.query)
    matches = ctx.state.batches.matching(ctx.user, ctx.query)
    results = []
    for b in page.slice(matches, ctx.state.faults):
        results.append(
            {
                "batch_id": b.id,
                "status": b.status,
                "progress": b.progress,
                "tasks_count": len(b.tasks),
                "tasks_completed": b.tasks_succeeded,
                "tasks_failed": b.tasks_failed,
                "modified_at": dates.stamp_utc(b.modified_at),
                "completed_at": dates.stamp_utc(b.completed_at),
            }
        )
    return ctx.respond({"count": len(matches), "results": results})


def batch_progress(ctx: Ctx) -> Response:
    b = ctx.state.batches.get(ctx.user, ctx.path_args["id"])
    return ctx.respond(
        {
            "version": ctx.version,
            "batch_id": b.id,
            "progress": b.progress,
            "tasks_count": len(b.tasks),
            "tasks_completed": b.tasks_succeeded,
            "tasks_failed": b.tasks_failed,
            "status": b.status,
            "results_url": f"/v1/batch/{b.id}/results" if b.completed_at is not None else None,
            "error": b.error,
        }
    )


def batch_results(ctx: Ctx) -> Response:
    """Tasks in completion order; before completion, the tasks finished so far (see DECISIONS)."""
    b = ctx.state.batches.get(ctx.user, ctx.path_args["id"])
    results: list[dict[str, Any]] = []
    for index in b.finished_order:
        task = b.tasks[index]
        entry: dict[str, Any] = {"task": task.id, "result": task.result}
        if task.message is not None:
            entry["message"] = task.message  # the Reference types it as a plain string: omitted on success
        results.append(entry)
    return ctx.respond({"version": ctx.version, "batch_id": b.id, "results": results})


ROUTES = [
    Route("/v1/batch", "GET", list_batches),
    Route("/v1/batch/<id>/progress", "GET", batch_progress),
    Route("/v1/batch/<id>/results", "GET", batch_results),
]
