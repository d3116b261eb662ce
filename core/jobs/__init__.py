"""SAQ on PostgreSQL: the queue, the worker and its cron, built from one settings object.

Tasks are small keyword-only functions in this package; their names never change once
released (queued jobs refer to them by name). Each logs its duration in after_process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from saq import CronJob, Queue, Worker
from saq.queue.postgres import PostgresQueue

from core.db import psycopg_dsn
from core.jobs import (
    deployments,
    housekeeping,
    idle,
    notifications,
    preview_images,
    previews,
    schedules,
)

log = logging.getLogger("shoal.jobs")

QUEUE_NAME = "shoal"
FUNCTIONS: list[Any] = [
    housekeeping.purge_sessions,
    housekeeping.purge_retired_plugins,
    housekeeping.protect_step_outputs,
    housekeeping.purge_webhook_deliveries,
    deployments.run_deployment,
    deployments.delete_deployment,
    deployments.sweep_expired,
    previews.reconcile_preview,
    previews.report_preview,
    preview_images.check_waiting_images,
    notifications.dispatch_notifications,
    notifications.send_notifications,
    notifications.deliver_notification,
    notifications.resume_notifications,
    schedules.run_schedules,
    idle.sleep_idle,
]
CRON_JOBS = [
    CronJob(housekeeping.purge_sessions, cron="*/10 * * * *"),
    CronJob(housekeeping.purge_retired_plugins, cron="*/10 * * * *"),
    CronJob(housekeeping.protect_step_outputs, cron="* * * * *"),
    CronJob(housekeeping.purge_webhook_deliveries, cron="17 * * * *"),
    CronJob(deployments.sweep_expired, cron="* * * * *"),
    CronJob(preview_images.check_waiting_images, cron="* * * * *"),
    CronJob(notifications.resume_notifications, cron="* * * * *"),
    # A nightly run waits for yesterday's deployment to be deleted before making the new one.
    CronJob(schedules.run_schedules, cron="* * * * *", timeout=600),
    CronJob(idle.sleep_idle, cron="* * * * *"),
]


def make_queue(dsn: str, pool_size: int) -> Queue:
    return PostgresQueue.from_url(
        psycopg_dsn(dsn), name=QUEUE_NAME, min_size=1, max_size=max(2, pool_size)
    )


async def _before(ctx: dict) -> None:
    ctx["started"] = time.monotonic()


async def _after(ctx: dict) -> None:
    job = ctx.get("job")
    took = time.monotonic() - ctx.get("started", time.monotonic())
    if job is not None:
        log.info("job %s %s in %.3f s", job.function, job.status, took)


def make_worker(queue: Queue, concurrency: int, *, handle_signals: bool = True) -> Worker:
    """`handle_signals=False` when the worker shares a process with the web server: SAQ would
    otherwise take SIGINT/SIGTERM away from uvicorn, and Ctrl-C would stop only the worker."""
    worker = Worker(
        queue,
        functions=FUNCTIONS,
        cron_jobs=CRON_JOBS,
        concurrency=concurrency,
        before_process=_before,
        after_process=_after,
    )
    if not handle_signals:
        worker.SIGNALS = []
    return worker


async def ping(queue: Queue, wait_s: float = 3.0) -> None:
    """Raise if the queue's database cannot be reached (used by /health/ready). The psycopg
    pool would otherwise wait its full 30 s for a connection while the database is down."""
    await asyncio.wait_for(queue.info(), timeout=wait_s)
