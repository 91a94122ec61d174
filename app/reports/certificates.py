"""Completion certificates as a one-page PDF.

Chinese text uses reportlab's built-in CID font STSong-Light (Adobe-GB1): it needs no font file on
the server, and PDF readers supply the matching Song typeface, so the page renders on a fresh machine.
"""

from __future__ import annotations

import io

from flask_babel import format_date
from flask_babel import gettext as _
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from app.completion.models import Certificate

FONT = "STSong-Light"
BRAND = HexColor("#0b5c7a")


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _fit(text: str, size: float, width: float) -> float:
    """Shrink a font size until the text fits the width."""
    while size > 10 and pdfmetrics.stringWidth(text, FONT, size) > width:
        size -= 1
    return size


def certificate_pdf(cert: Certificate, verify_url: str) -> bytes:
    """Render the certificate: trainee, course, date, verification code and a QR code to verify it."""
    font = _font()
    buffer = io.BytesIO()
    width, height = landscape(A4)
    pdf = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=1)
    pdf.setTitle(_("结业证书 %(name)s %(course)s", name=cert.recipient_name, course=cert.course_title))
    pdf.setAuthor(_("客服学院"))

    pdf.setStrokeColor(BRAND)
    pdf.setLineWidth(6)
    pdf.rect(28, 28, width - 56, height - 56)
    pdf.setLineWidth(1.5)
    pdf.rect(40, 40, width - 80, height - 80)

    centre = width / 2
    pdf.setFillColor(BRAND)
    pdf.setFont(font, 20)
    pdf.drawCentredString(centre, height - 100, _("客服学院"))
    pdf.setFont(font, 44)
    pdf.drawCentredString(centre, height - 165, _("结 业 证 书"))

    pdf.setFillColor(HexColor("#222222"))
    pdf.setFont(font, 16)
    pdf.drawCentredString(centre, height - 225, _("兹证明"))
    size = _fit(cert.recipient_name, 34, width - 200)
    pdf.setFont(font, size)
    pdf.drawCentredString(centre, height - 275, cert.recipient_name)
    pdf.setFont(font, 16)
    pdf.drawCentredString(centre, height - 320, _("已完成课程"))
    title = _("《%(course)s》", course=cert.course_title)
    pdf.setFont(font, _fit(title, 26, width - 160))
    pdf.drawCentredString(centre, height - 362, title)
    pdf.setFont(font, 16)
    pdf.drawCentredString(centre, height - 402, _("的全部学习与考核要求，特发此证。"))

    pdf.setFont(font, 14)
    pdf.drawString(90, 110, _("颁发日期：%(date)s", date=format_date(cert.issued_at, "long")))
    pdf.drawString(90, 86, _("证书编号：%(code)s", code=cert.code))
    pdf.setFont(font, 10)
    pdf.setFillColor(HexColor("#555555"))
    pdf.drawString(90, 64, _("验证网址：%(url)s", url=verify_url))

    qr = QrCodeWidget(verify_url)
    x0, y0, x1, y1 = qr.getBounds()
    side = 96
    drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
    drawing.add(qr)
    renderPDF.draw(drawing, pdf, width - 90 - side, 60)

    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
