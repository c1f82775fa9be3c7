"""The evidence export: a signed, self-verifying bundle of a period's evidence for auditors."""
