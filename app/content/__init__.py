"""Content pipeline: files -> dataclasses -> validated -> database."""
