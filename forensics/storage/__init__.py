"""Case database: tables, engine and the one repository that does all writes."""
