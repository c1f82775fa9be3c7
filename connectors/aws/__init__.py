"""AWS connectors: one module per resource family, all read-only."""
