"""Quiz pages (filled in by the assessments feature)."""

from flask import Blueprint

bp = Blueprint("assessments", __name__)
