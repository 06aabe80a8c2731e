"""Distributed analysis: units of work queued on a message broker (Celery over RabbitMQ
or Redis) and run by workers that share the evidence store and a PostgreSQL case
database. Each worker runs ``forensics.pipeline.run_units``, the function in-process
analysis runs; the work ledger makes each unit's effect happen exactly once."""
