"""The export bundle's container: a deterministic ZIP, a manifest, signatures, VERIFY.txt.

Members are written in the order they are added, each with a fixed timestamp and mode, so the
same content always gives the same bytes. Every member is hashed while it is written (streamed
members never sit in memory). :meth:`BundleWriter.finish` then adds:

* ``manifest.json`` — every member's path, SHA-256 and size, plus the bundle's metadata;
* ``SHA256SUMS`` — the same hashes (and the manifest's) in ``sha256sum -c`` format;
* ``manifest.json.sig`` and ``SHA256SUMS.sig`` — raw Ed25519 signatures, which
  ``openssl pkeyutl -verify -rawin`` checks;
* ``public_key.pem`` and ``VERIFY.txt`` — the key and the exact commands to check it all.

The signed run digests travel as ``runs/<position>-<run id>.digest.json`` with a ``.sig``, so the
digest chain can be checked offline too (:func:`annexa.store.bundle_verify.verify_bundle`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from annexa.store.integrity import Signer, public_key_pem

BUNDLE_FORMAT = "annexa.bundle/1"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
CHUNK = 1 << 20
SIGNED = ("manifest.json", "SHA256SUMS")
TRAILER = ("SHA256SUMS", "manifest.json.sig", "SHA256SUMS.sig")


class _Hashing:
    """A write-only stream that hashes and counts what passes through it."""

    def __init__(self, target: IO[bytes]) -> None:
        self._target = target
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        self._target.write(data)
        return len(data)


class BundleWriter:
    """Writes one bundle ZIP at ``path``; call :meth:`finish` (or the context manager) to seal."""

    def __init__(self, path: Path, signer: Signer) -> None:
        self.path = path
        self._signer = signer
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self.files: dict[str, tuple[str, int]] = {}  # path -> (sha256, size)

    def _info(self, name: str) -> zipfile.ZipInfo:
        if name in self.files or name.startswith("/") or ".." in name.split("/"):
            raise ValueError(f"bad or duplicate bundle member {name!r}")
        info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = 3  # unix, whatever the platform
        info.external_attr = 0o644 << 16
        return info

    @contextmanager
    def open(self, name: str) -> Iterator[_Hashing]:
        """A member to stream into: ``with bundle.open("a.csv") as out: out.write(b"...")``."""
        with self._zip.open(self._info(name), "w", force_zip64=True) as member:
            hashing = _Hashing(member)
            yield hashing
        self.files[name] = (hashing.sha256.hexdigest(), hashing.size)

    def add_bytes(self, name: str, data: bytes) -> None:
        with self.open(name) as out:
            out.write(data)

    def add_file(self, name: str, source: Path) -> None:
        with self.open(name) as out, source.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                out.write(chunk)

    def finish(self, metadata: dict[str, Any], verify_text: str) -> None:
        """Add the key, VERIFY.txt, the manifest, SHA256SUMS and their signatures; close."""
        self.add_bytes("public_key.pem", public_key_pem(self._signer.public_key))
        self.add_bytes("VERIFY.txt", verify_text.encode("utf-8"))
        manifest = {
            "format": BUNDLE_FORMAT,
            **metadata,
            "key_id": self._signer.key_id,
            "files": [
                {"path": name, "sha256": sha, "size": size}
                for name, (sha, size) in sorted(self.files.items())
            ],
        }
        manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
        self.add_bytes("manifest.json", manifest_bytes)
        sums = "".join(f"{sha}  {name}\n" for name, (sha, _) in sorted(self.files.items()))
        sums_bytes = sums.encode("utf-8")
        with self._zip.open(self._info("SHA256SUMS"), "w") as member:
            member.write(sums_bytes)
        for name, data in (("manifest.json", manifest_bytes), ("SHA256SUMS", sums_bytes)):
            signature = base64.b64decode(self._signer.sign(data))
            with self._zip.open(self._info(f"{name}.sig"), "w") as member:
                member.write(signature)
        self._zip.close()

    def abort(self) -> None:
        """Close without sealing (the caller removes the partial file)."""
        self._zip.close()
