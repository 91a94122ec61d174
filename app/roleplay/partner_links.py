"""Partner-brief links for live role-plays: a signed token bound to the partner's account, and its QR code as SVG.

The brief opens on the partner's own device only for the signed-in partner (or an instructor who may
grade the performance) — never for the trainee playing the service role.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup
from reportlab.graphics.barcode import qrencoder

SALT = "roleplay-partner-brief"
MAX_AGE = 12 * 3600  # a class day


def make_token(secret: str, submission_id: int, partner_id: int) -> str:
    """A signed token naming the live submission and the partner who may open its brief."""
    return URLSafeTimedSerializer(secret, salt=SALT).dumps({"s": submission_id, "u": partner_id})


def read_token(secret: str, token: str) -> tuple[int, int] | None:
    """The (submission id, partner id) of a valid token (None: forged, mangled or expired)."""
    try:
        data = URLSafeTimedSerializer(secret, salt=SALT).loads(token, max_age=MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("s"), int) or not isinstance(data.get("u"), int):
        return None
    return data["s"], data["u"]


def qr_svg(text: str, label: str) -> Markup:
    """The text as a QR code: one SVG path of dark modules (no script, no external reference)."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(text)
    code.make()
    size = code.getModuleCount()
    path = "".join(f"M{x + 4} {y + 4}h1v1h-1z" for y in range(size) for x in range(size) if code.isDark(y, x))
    box = size + 8
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" class="rpl-qr" viewBox="0 0 {box} {box}" '
        'width="200" height="200" shape-rendering="crispEdges"><title>{label}</title>'
        '<rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="{path}"/></svg>'
    ).format(box=box, label=label, path=path)  # path: digits and M, h, v, z only
