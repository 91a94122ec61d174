"""Courses, modules, assignments and reading progress."""
