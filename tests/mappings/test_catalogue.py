"""The catalogue holds all 93 Annex A 2022 controls exactly once, as the reference lists them."""

from __future__ import annotations

import csv
from pathlib import Path

from annexa.mappings.catalogue import THEMES, load_catalogue

REFERENCE = Path(__file__).resolve().parents[2] / "mappings" / "catalogue.csv"
SHARED_REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "annex_a_2022.csv"


def test_93_controls_once_each() -> None:
    catalogue = load_catalogue()
    ids = [c.id for c in catalogue]
    assert len(ids) == 93 and len(set(ids)) == 93
    assert sum(c.theme == "Organizational controls" for c in catalogue) == 37
    assert sum(c.theme == "People controls" for c in catalogue) == 8
    assert sum(c.theme == "Physical controls" for c in catalogue) == 14
    assert sum(c.theme == "Technological controls" for c in catalogue) == 34
    assert {c.theme for c in catalogue} == set(THEMES)


def test_matches_the_published_list() -> None:
    """Ids, themes and titles are the standard's (checked against the shared reference if present)."""
    reference = SHARED_REFERENCE if SHARED_REFERENCE.exists() else REFERENCE
    rows = {
        r["id"]: (r["theme"], r["title"]) for r in csv.DictReader(reference.open(encoding="utf-8"))
    }
    assert {c.id: (c.theme, c.title) for c in load_catalogue()} == rows


def test_every_control_is_classified_and_explained() -> None:
    for control in load_catalogue():
        assert control.automation in ("automated", "partial", "manual")
        assert len(control.auditor_expects) > 30, control.id
    people_and_physical = [
        c for c in load_catalogue() if c.theme in ("People controls", "Physical controls")
    ]
    assert all(c.automation == "manual" for c in people_and_physical)


def test_order_and_crosswalk() -> None:
    catalogue = load_catalogue()
    assert [c.id for c in catalogue][:3] == ["A.5.1", "A.5.2", "A.5.3"]
    assert catalogue["A.8.10"].sort_key > catalogue["A.8.9"].sort_key
    assert catalogue["A.8.2"].iso27001_2013 == ("A.9.2.3",)
    assert catalogue["A.8.16"].iso27001_2013 == ()  # new in 2022
