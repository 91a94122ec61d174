"""Role-play pages (filled in by the role-play feature)."""

from flask import Blueprint

bp = Blueprint("roleplay", __name__)
