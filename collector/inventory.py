"""The AI asset inventory: models, endpoints, notebooks, guardrails and invocation logging.

Connectors mark the observation kinds that are AI assets (``Kind.asset``); the inventory is
those observations of a run, listed by category. It is evidence for A.5.9 (inventory of
information and other associated assets) that an AI company's auditor will ask for by name.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from annexa.connectors.registry import connector_registry
from annexa.store import Store


@dataclass(frozen=True)
class AiAsset:
    category: str
    kind: str
    name: str
    resource_id: str
    account: str
    region: str
    observed_at: datetime


def ai_asset_kinds() -> dict[str, str]:
    """Observation kind -> inventory category, for every installed connector."""
    loaded, _ = connector_registry().load_all()
    return {k.name: k.asset for c in loaded.values() for k in c.kinds if k.asset is not None}


def ai_inventory(store: Store, run_id: str) -> list[AiAsset]:
    kinds = ai_asset_kinds()
    if not kinds:
        return []
    return sorted(
        (
            AiAsset(
                category=kinds[obs.kind],
                kind=obs.kind,
                name=str(obs.attributes.get("name", obs.resource_id)),
                resource_id=obs.resource_id,
                account=obs.account,
                region=obs.region,
                observed_at=obs.observed_at,
            )
            for obs in store.observations(run_id, kinds)
        ),
        key=lambda a: (a.category, a.account, a.region, a.name),
    )


def summary(assets: list[AiAsset]) -> str:
    if not assets:
        return "no AI assets observed"
    counts = Counter(a.category for a in assets)
    return ", ".join(
        f"{n} {category}{'s' if n != 1 else ''}" for category, n in sorted(counts.items())
    )
