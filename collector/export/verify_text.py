"""VERIFY.txt: how an auditor checks a bundle with sha256sum and openssl alone."""

# ruff: noqa: E501 (the commands are meant to be copied whole)

from __future__ import annotations

from annexa.collector.export.model import ExportMeta

TEMPLATE = """\
How to verify this evidence bundle
==================================

Evidence from {start} to {end}, exported by annexa {version} from the runs listed in
manifest.json. Unzip the bundle and run these commands in its folder. Each must succeed.

1. Every file is exactly as it was exported (prints "OK" for each file):

       sha256sum -c SHA256SUMS

2. The manifest and the checksum list were signed with the organisation's annexa key
   (each prints "Signature Verified Successfully"):

       openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin -in manifest.json -sigfile manifest.json.sig
       openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin -in SHA256SUMS -sigfile SHA256SUMS.sig

3. The key is theirs: its id must equal the key id they gave you independently of this bundle

       openssl pkey -pubin -in public_key.pem -outform DER | tail -c 32 | sha256sum

   must print {key_id}

4. The evidence comes from signed collection runs. Each run's digest (its record counts and
   hash-chain heads, and the digest of the run before it) was signed when the run closed:

{run_commands}
   The "previous" entry of each digest names the SHA-256 of the digest before it:

       sha256sum runs/*.digest.json

5. Each record in controls/<control>/ carries the hash that the signed run digests chain
   over (record_hash) and the SHA-256 of its observed content (payload_sha256).
   `annexa verify-bundle <bundle.zip>` checks all of the above, recomputes every record hash
   and the links between the run digests, and names the first thing that does not match.
"""


def verify_instructions(meta: ExportMeta) -> str:
    commands = [
        f"       openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin "
        f"-in {name}.digest.json -sigfile {name}.digest.sig\n"
        for name in (
            f"runs/{run.chain_position:06d}-{run.id}"
            for run in meta.runs
            if run.digest and run.signature
        )
    ]
    return TEMPLATE.format(
        start=meta.scope.period.start,
        end=meta.scope.period.end,
        version=meta.agent_version,
        key_id=meta.key_id,
        run_commands="".join(commands) or "       (no runs)\n",
    )
