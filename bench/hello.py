"""The baseline: a minimal Flask app served under the same gunicorn settings as the platform."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    """Hello, World!"""
    return "Hello, World!"
