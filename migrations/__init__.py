"""Alembic migrations of the case database (a package so that it installs with the suite)."""
