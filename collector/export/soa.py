"""The Statement of Applicability draft: every control in scope, as CSV and as a spreadsheet.

One row per control: applicability (with the justification an exclusion needs), automation
class, how much automated evidence the period holds and what it says, the latest evidence, the
gap days, the manual evidence attached and what an auditor typically expects. Both files are
deterministic: the spreadsheet's document properties carry the export's time, not the clock.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import datetime
from typing import IO, Any

import xlsxwriter

from annexa.collector.export.model import ControlPeriod
from annexa.connectors.records import utc_iso

COLUMNS = (
    "control",
    "theme",
    "title",
    "applicable",
    "justification",
    "automation",
    "rules",
    "status",
    "status_at_end",
    "evaluations",
    "passed",
    "failed",
    "gaps",
    "not_applicable",
    "days_pass",
    "days_fail",
    "days_gap",
    "days_no_evidence",
    "latest_evidence",
    "manual_evidence",
    "needs_manual_evidence",
    "auditor_expects",
)
WIDTHS = {"title": 48, "justification": 30, "manual_evidence": 40, "auditor_expects": 80}


def soa_rows(controls: list[ControlPeriod], exclusions: Mapping[str, str]) -> list[dict[str, Any]]:
    """The SoA rows; ``exclusions`` maps excluded control ids to their justification."""
    rows = []
    for entry in controls:
        control = entry.control
        days = [d.status for d in entry.days]
        excluded = control.id in exclusions
        attached = "; ".join(
            f"{a.file_name} (sha256 {a.sha256[:12]}, {a.effective_from} to "
            f"{a.effective_to or 'open-ended'})"
            for a in entry.attachments
        )
        rows.append(
            {
                "control": control.id,
                "theme": control.theme,
                "title": control.title,
                "applicable": "no" if excluded else "yes",
                "justification": exclusions.get(control.id, ""),
                "automation": control.automation,
                "rules": entry.rules,
                "status": "excluded" if excluded else entry.status,
                "status_at_end": "excluded" if excluded else entry.end_status,
                "evaluations": entry.evaluations,
                "passed": entry.passed,
                "failed": entry.failed,
                "gaps": entry.gaps,
                "not_applicable": entry.not_applicable,
                "days_pass": days.count("pass"),
                "days_fail": days.count("fail"),
                "days_gap": days.count("gap"),
                "days_no_evidence": days.count("no evidence"),
                "latest_evidence": utc_iso(entry.latest) if entry.latest else "",
                "manual_evidence": attached,
                "needs_manual_evidence": (
                    "yes"
                    if not excluded and control.automation != "automated" and not entry.attachments
                    else "no"
                ),
                "auditor_expects": control.auditor_expects,
            }
        )
    return rows


def soa_csv(rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def soa_xlsx(rows: list[dict[str, Any]], title: str, moment: datetime, out: IO[bytes]) -> None:
    """The same rows as a spreadsheet with a header row, filters and frozen panes."""
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_urls": False})
    book.set_properties(
        {"title": title, "author": "annexa", "created": moment.replace(tzinfo=None)}
    )
    sheet = book.add_worksheet("Statement of Applicability")
    header = book.add_format({"bold": True, "bg_color": "#DDDDDD", "text_wrap": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    for column, name in enumerate(COLUMNS):
        sheet.write_string(0, column, name, header)
        sheet.set_column(column, column, WIDTHS.get(name, 12), wrap)
    for row_number, row in enumerate(rows, start=1):
        for column, name in enumerate(COLUMNS):
            value = row[name]
            if isinstance(value, int):
                sheet.write_number(row_number, column, value)
            else:
                sheet.write_string(row_number, column, str(value))
    sheet.autofilter(0, 0, len(rows), len(COLUMNS) - 1)
    sheet.freeze_panes(1, 3)
    book.close()
