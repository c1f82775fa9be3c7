"""Integrity: record hashes, per-run hash chains, signed run digests and the signing key.

* Every stored record carries ``record_hash``: SHA-256 over the canonical JSON of its hashed
  columns (:data:`HASHED_COLUMNS`) plus its table name. Payloads and attachment contents are
  addressed by the SHA-256 of their bytes.
* Within a run, each table's records form a chain in ``seq`` order:
  ``head_i = SHA-256(head_{i-1} || record_hash_i)``, from ``SHA-256("annexa/<run>/<table>")``.
* When a run closes, a digest document names the run, each table's record count and chain
  head (``attachments`` only when the run has some), and the previous run's digest (a chain of
  runs, as CloudTrail chains digest files). It is signed with Ed25519. Altering, deleting or
  inserting a record, or removing a run, breaks verification; only the holder of the private key
  could forge a digest.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from annexa.connectors.records import canonical_json, sha256_hex

DIGEST_FORMAT = "annexa.run-digest/1"
RECORD_FORMAT = 1

HASHED_COLUMNS: dict[str, tuple[str, ...]] = {
    "units": (
        "run_id",
        "seq",
        "unit_key",
        "target",
        "connector",
        "provider",
        "account",
        "region",
        "status",
        "error_class",
        "error_message",
        "started_at",
        "finished_at",
        "api_calls",
        "observations",
        "kinds",
    ),
    "observations": (
        "run_id",
        "seq",
        "unit_seq",
        "kind",
        "resource_id",
        "provider",
        "account",
        "region",
        "observed_at",
        "source",
        "payload_sha256",
    ),
    "evaluations": (
        "run_id",
        "seq",
        "observation_seq",
        "rule_id",
        "status",
        "reason",
        "controls",
        "severity",
    ),
    "attachments": (
        "run_id",
        "seq",
        "control",
        "file_name",
        "media_type",
        "size",
        "content_sha256",
        "effective_from",
        "effective_to",
        "note",
        "added_at",
    ),
}
CHAINED_TABLES = tuple(HASHED_COLUMNS)
# Tables every digest names. Later tables are named only when the run has records in them, so
# digests of runs without such records are byte-identical to those written before they existed.
CORE_TABLES = ("units", "observations", "evaluations")
RUN_FIELDS = (
    "id",
    "trigger",
    "started_at",
    "finished_at",
    "status",
    "agent_version",
    "host",
    "config_digest",
    "ruleset_digest",
    "catalogue_version",
)


def record_hash(table: str, row: Mapping[str, Any]) -> str:
    """The SHA-256 of one record's hashed columns (row may carry other keys, e.g. record_hash)."""
    content = {column: row[column] for column in HASHED_COLUMNS[table]}
    return sha256_hex(canonical_json({"format": RECORD_FORMAT, "table": table, "record": content}))


class Chain:
    """A running hash chain over one table's records of one run."""

    def __init__(self, run_id: str, table: str) -> None:
        self.head = hashlib.sha256(f"annexa/{run_id}/{table}".encode()).digest()
        self.count = 0

    def add(self, record_hash_hex: str) -> None:
        self.head = hashlib.sha256(self.head + bytes.fromhex(record_hash_hex)).digest()
        self.count += 1

    def summary(self) -> dict[str, Any]:
        return {"count": self.count, "head": self.head.hex()}


def run_fields(run: Mapping[str, Any]) -> dict[str, Any]:
    return {name: run[name] for name in RUN_FIELDS}


def digest_tables(chains: Mapping[str, Chain]) -> tuple[str, ...]:
    """The tables a run's digest names: the core ones, and any other that has records."""
    return tuple(t for t in CHAINED_TABLES if t in CORE_TABLES or chains[t].count)


def digest_document(
    run: Mapping[str, Any],
    position: int,
    previous: Mapping[str, Any] | None,
    chains: Mapping[str, Chain],
    key_id: str,
) -> bytes:
    """The canonical bytes that get signed when a run closes."""
    return canonical_json(
        {
            "format": DIGEST_FORMAT,
            "run": run_fields(run),
            "position": position,
            "previous": dict(previous) if previous else None,
            "records": {table: chains[table].summary() for table in digest_tables(chains)},
            "key_id": key_id,
        }
    )


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def check_signature(public_key: Ed25519PublicKey, signature_b64: str, message: bytes) -> bool:
    try:
        public_key.verify(base64.b64decode(signature_b64), message)
    except (InvalidSignature, ValueError):
        return False
    return True


class SigningKeyError(Exception):
    """The signing key file cannot be created or read."""


@dataclass(frozen=True)
class Signer:
    """The Ed25519 key that signs run digests, loaded from (or created at) a file."""

    private_key: Ed25519PrivateKey
    path: Path | None = None

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private_key.sign(message)).decode("ascii")

    @classmethod
    def load_or_create(cls, path: Path) -> Signer:
        """Load the PEM key at ``path``; create it (mode 0600) on first use."""
        if path.exists():
            return cls.load(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            # Written whole under a temporary name, then linked into place: a concurrent
            # first run never reads a half-written key, and the first link wins.
            temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
            try:
                os.link(temporary, path)
            finally:
                temporary.unlink()
        except FileExistsError:  # another process or thread created it first
            return cls.load(path)
        except OSError as exc:
            raise SigningKeyError(f"cannot create signing key {path}: {exc.strerror}") from exc
        return cls(key, path)

    @classmethod
    def load(cls, path: Path) -> Signer:
        try:
            data = path.read_bytes()
            key = serialization.load_pem_private_key(data, password=None)
        except OSError as exc:
            raise SigningKeyError(f"cannot read signing key {path}: {exc.strerror}") from exc
        except (ValueError, TypeError) as exc:
            raise SigningKeyError(f"{path} is not an unencrypted PEM private key: {exc}") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
        return cls(key, path)

    def loosely_protected(self) -> bool:
        """Whether group or others may read the key file."""
        if self.path is None:
            return False
        return bool(self.path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))
