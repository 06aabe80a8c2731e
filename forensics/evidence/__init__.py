"""Evidence intake into a content-addressed, read-only store, and its re-verification."""
