"""The installable web app: manifest, service worker, offline page, and the headers the worker reads.

The worker (``app/static/sw.js``, served at ``/sw.js`` so that its scope covers every page) keeps
the pages a signed-in person has opened readable without a connection, and nothing else:

- a page is kept only when its route is marked :func:`offline_readable` (``X-Offline-Page``), and only
  in the cache of the person it was rendered for (``X-Offline-User``, a keyed hash of their id);
- a page of anyone else, or of nobody (the sign-in page after a sign-out or an expired session),
  makes the worker drop every kept page; the sign-out response also sends ``Clear-Site-Data``;
- it handles GET requests only: a form sent without a connection fails visibly (``js/pwa.js`` says
  that the action needs a connection) and is never stored or replayed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, render_template, request, send_file, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

bp = Blueprint("offline", __name__)

USER_HEADER = "X-Offline-User"
PAGE_HEADER = "X-Offline-Page"
# Sent with the sign-out response: the browser drops this site's caches and storage (the worker's kept
# pages included) on a shared device, even when JavaScript did not get to do it first.
CLEAR_SITE_DATA = '"cache", "storage"'


def offline_readable(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a page the service worker may keep for its signed-in reader (read-only pages only)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.offline_readable = True
        return view(*args, **kwargs)

    return wrapper


def user_key(user_id: int) -> str:
    """An opaque, stable name for one person's page cache (not their id)."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"offline-pages:{user_id}".encode(), hashlib.sha256).hexdigest()[:32]


@bp.get("/sw.js")
def service_worker() -> Response:
    """The service worker script, from the site's root so that its scope covers every page."""
    path = Path(current_app.static_folder or "") / "sw.js"
    response = send_file(path, mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = url_for("core.index")
    return response


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """The web app manifest (name, colours, icons, start page)."""

    def icon(name: str) -> str:
        return url_for("static", filename=f"icons/{name}")

    body = {
        "name": "客服学院 · Service Academy",
        "short_name": "客服学院",
        "description": "客户服务团队的培训与自测平台",
        "lang": "zh-CN",
        "dir": "ltr",
        "id": url_for("core.index"),
        "start_url": url_for("reports.home"),
        "scope": url_for("core.index"),
        "display": "standalone",
        "background_color": "#f6f8fa",
        "theme_color": "#0b5c7a",
        "icons": [
            {"src": icon("icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": icon("icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": icon("icon-maskable-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
def offline_page() -> str:
    """What the worker shows for a page that was not kept: it needs a connection (no personal data)."""
    locale = request.args.get("locale")
    if locale not in current_app.config["BABEL_SUPPORTED_LOCALES"]:
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        return render_template("core/offline.html", lang="en" if locale == "en" else "zh-CN", title=_("需要网络连接"))


def init_app(app: Flask) -> None:
    """Add the headers the service worker reads to each HTML page."""

    @app.after_request
    def offline_headers(response: Response) -> Response:
        if response.mimetype != "text/html" or not current_user or not current_user.is_authenticated:
            return response
        response.headers[USER_HEADER] = user_key(current_user.id)
        if g.get("offline_readable") and response.status_code == 200:
            response.headers[PAGE_HEADER] = "1"
        return response
