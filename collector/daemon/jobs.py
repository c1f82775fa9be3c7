"""What the scheduler runs, by import path and with primitive arguments only.

APScheduler jobs name ``annexa.collector.daemon.jobs:run_schedule`` and a schedule name, never
a bound method or a client, so a persistent job store would never pickle live objects. The
function finds the running :class:`~annexa.collector.daemon.core.Daemon` of this process.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from apscheduler.triggers.cron import CronTrigger

if TYPE_CHECKING:
    from annexa.collector.daemon.core import Daemon

JOB_FUNCTION = "annexa.collector.daemon.jobs:run_schedule"
_daemon: Daemon | None = None

log = logging.getLogger("annexa.daemon")


def cron_trigger(expression: str, timezone: str = "UTC") -> CronTrigger:
    """A trigger for a crontab expression (minute hour day month day-of-week), or one with a
    leading seconds field (six fields), in ``timezone``. Raises ValueError if it is not one."""
    fields = expression.split()
    if len(fields) == 6:
        names = ("second", "minute", "hour", "day", "month", "day_of_week")
        return CronTrigger(**dict(zip(names, fields, strict=True)), timezone=timezone)
    if len(fields) != 5:
        raise ValueError(
            f"wrong number of fields; got {len(fields)}, expected 5 (or 6 with seconds)"
        )
    return CronTrigger.from_crontab(expression, timezone=timezone)


def attach(daemon: Daemon | None) -> None:
    """Make ``daemon`` the one that scheduled jobs of this process run in (None: detach)."""
    global _daemon
    _daemon = daemon


def run_schedule(name: str) -> None:
    """Collect the targets of schedule ``name`` (the scheduler calls this)."""
    if _daemon is None:
        log.warning("schedule fired with no daemon attached", extra={"schedule": name})
        return
    _daemon.run_schedule(name)
