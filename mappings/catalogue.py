"""The ISO/IEC 27001:2022 Annex A catalogue: 93 controls, each with an automation class.

``automation`` says how far telemetry can evidence a control:

* ``automated`` — the technical state annexa collects is the main evidence; rules exist;
* ``partial`` — telemetry contributes, but an auditor also needs documented process or records;
* ``manual`` — only documents, records and interviews evidence it (most of A.5, A.6, A.7).

``auditor_expects`` says, in a sentence, what an auditor typically asks to see.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Literal

Automation = Literal["automated", "partial", "manual"]
CATALOGUE_VERSION = "ISO/IEC 27001:2022 Annex A"
THEMES = (
    "Organizational controls",
    "People controls",
    "Physical controls",
    "Technological controls",
)


@dataclass(frozen=True)
class Control:
    id: str
    theme: str
    title: str
    automation: Automation
    iso27001_2013: tuple[str, ...]
    auditor_expects: str

    @property
    def sort_key(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.id[2:].split("."))


class Catalogue:
    """All controls, in standard order, indexed by id."""

    version = CATALOGUE_VERSION

    def __init__(self, controls: list[Control]) -> None:
        self.controls = tuple(sorted(controls, key=lambda c: c.sort_key))
        self._by_id = {control.id: control for control in self.controls}
        if len(self._by_id) != len(self.controls):
            raise ValueError("the catalogue lists a control twice")

    def __contains__(self, control_id: object) -> bool:
        return control_id in self._by_id

    def __getitem__(self, control_id: str) -> Control:
        return self._by_id[control_id]

    def __iter__(self) -> Iterator[Control]:
        return iter(self.controls)

    def __len__(self) -> int:
        return len(self.controls)


@cache
def load_catalogue() -> Catalogue:
    text = files("annexa.mappings").joinpath("catalogue.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    controls = []
    for row in rows:
        automation = row["automation"]
        if automation not in ("automated", "partial", "manual"):
            raise ValueError(f"{row['id']}: unknown automation class {automation!r}")
        controls.append(
            Control(
                id=row["id"],
                theme=row["theme"],
                title=row["title"],
                automation=automation,  # type: ignore[arg-type]
                iso27001_2013=tuple(row["iso27001_2013"].split()),
                auditor_expects=row["auditor_expects"],
            )
        )
    return Catalogue(controls)
