"""Quizzes: self-assessments and knowledge checks, attempts and scoring."""
