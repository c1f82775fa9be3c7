"""Google Cloud: projects under a folder or organization, and their security configuration."""
