"""Background jobs that span rooms: their handlers, schedule, pages and the worker command (engine: app.core.jobs)."""
