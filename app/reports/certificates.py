"""Completion certificates as a one-page PDF, and many of them as one ZIP archive.

The Chinese text uses :func:`app.reports.pdf_fonts.cjk_font` (a TrueType font embedded as a subset).
A certificate carries what a Chinese company certificate carries: the company name (``COMPANY_NAME``)
and logo (``COMPANY_LOGO``, optional), the person's name and 工号, the course and its 学时, the issue
date, the expiry date of a renewable course, 免修 when HR waived the whole course, the verification
code and a QR code of the public verification page.

学时 are class hours of 45 minutes: the course's module minutes at issue / 45, rounded to the nearest
half hour (at least 0.5 for a course with any minutes).
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas

from app.completion.models import Certificate
from app.reports.pdf_fonts import cjk_font

log = logging.getLogger(__name__)

BRAND = HexColor("#0b5c7a")
SEAL = HexColor("#b3261e")
CLASS_HOUR_MINUTES = 45


def study_hours(minutes: int) -> str:
    """学时 for a number of minutes: minutes / 45 rounded to the nearest 0.5 (``"1.5"``, ``"2"``)."""
    if minutes <= 0:
        return "0"
    halves = max(1, round(minutes * 2 / CLASS_HOUR_MINUTES))
    return f"{halves // 2}" if halves % 2 == 0 else f"{halves / 2:.1f}"


def company_name() -> str:
    """The issuer printed on certificates (``COMPANY_NAME``)."""
    return str(current_app.config.get("COMPANY_NAME") or _("客服学院"))


def _fit(text: str, font: str, size: float, width: float) -> float:
    """Shrink a font size until the text fits the width."""
    while size > 10 and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 1
    return size


def _logo(pdf: canvas.Canvas, x: float, top: float) -> None:
    """Draw the company logo (``COMPANY_LOGO``, PNG or JPG) at most 140×60 pt, when configured and readable."""
    path = current_app.config.get("COMPANY_LOGO")
    if not path:
        return
    if not Path(path).is_file():
        log.warning("COMPANY_LOGO not found: %s", path)
        return
    try:
        image = ImageReader(path)
        w, h = image.getSize()
    except Exception as error:  # a broken image must not break every certificate
        log.warning("COMPANY_LOGO unreadable: %s (%s)", path, error)
        return
    scale = min(140 / w, 60 / h)
    pdf.drawImage(image, x, top - h * scale, w * scale, h * scale, mask="auto")


def certificate_pdf(cert: Certificate, verify_url: str) -> bytes:
    """Render the certificate: company, person and 工号, course and 学时, dates, 免修, code and QR code."""
    font = cjk_font()
    buffer = io.BytesIO()
    width, height = landscape(A4)
    pdf = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=1)
    company = company_name()
    pdf.setTitle(_("结业证书 %(name)s %(course)s", name=cert.recipient_name, course=cert.course_title))
    pdf.setAuthor(company)

    pdf.setStrokeColor(BRAND)
    pdf.setLineWidth(6)
    pdf.rect(28, 28, width - 56, height - 56)
    pdf.setLineWidth(1.5)
    pdf.rect(40, 40, width - 80, height - 80)
    _logo(pdf, 60, height - 56)

    centre = width / 2
    pdf.setFillColor(BRAND)
    pdf.setFont(font, _fit(company, font, 20, width - 360))
    pdf.drawCentredString(centre, height - 95, company)
    pdf.setFont(font, 40)
    pdf.drawCentredString(centre, height - 155, _("结 业 证 书"))

    pdf.setFillColor(HexColor("#222222"))
    pdf.setFont(font, 16)
    pdf.drawCentredString(centre, height - 205, _("兹证明"))
    pdf.setFont(font, _fit(cert.recipient_name, font, 32, width - 200))
    pdf.drawCentredString(centre, height - 250, cert.recipient_name)
    if cert.employee_no:
        pdf.setFont(font, 13)
        pdf.drawCentredString(centre, height - 274, _("工号：%(no)s", no=cert.employee_no))
    pdf.setFont(font, 16)
    pdf.drawCentredString(centre, height - 308, _("已完成课程") if not cert.waived else _("经审核，准予免修课程"))
    title = _("《%(course)s》", course=cert.course_title)
    pdf.setFont(font, _fit(title, font, 26, width - 160))
    pdf.drawCentredString(centre, height - 348, title)
    pdf.setFont(font, 16)
    closing = _("的全部学习与考核要求，特发此证。") if not cert.waived else _("（免修），特发此证。")
    pdf.drawCentredString(centre, height - 384, closing)
    if cert.minutes > 0:  # unknown (0) for certificates made outside the completion room: left out
        pdf.setFont(font, 14)
        pdf.drawCentredString(centre, height - 410, _("学时：%(hours)s 学时", hours=study_hours(cert.minutes)))

    if cert.waived:  # a red 免修 seal, so nobody mistakes it for a completion by study
        pdf.saveState()
        pdf.setStrokeColor(SEAL)
        pdf.setFillColor(SEAL)
        pdf.setLineWidth(3)
        pdf.circle(width - 170, height - 200, 46)
        pdf.setFont(font, 26)
        pdf.drawCentredString(width - 170, height - 209, _("免修"))
        pdf.restoreState()

    pdf.setFont(font, 13)
    pdf.drawString(90, 134, _("颁发日期：%(date)s", date=format_date(cert.issued_at, "long")))
    if cert.expires_at:
        pdf.drawString(90, 112, _("有效期至：%(date)s", date=format_date(cert.expires_at, "long")))
    pdf.drawString(90, 90, _("证书编号：%(code)s", code=cert.code))
    pdf.setFont(font, 10)
    pdf.setFillColor(HexColor("#555555"))
    pdf.drawString(90, 68, _("验证网址：%(url)s", url=verify_url))

    qr = QrCodeWidget(verify_url)
    x0, y0, x1, y1 = qr.getBounds()
    side = 96
    drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
    drawing.add(qr)
    renderPDF.draw(drawing, pdf, width - 90 - side, 60)

    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


_UNSAFE = re.compile(r"[^\w\-\u4e00-\u9fff]+")


def archive_name(cert: Certificate) -> str:
    """A certificate's file name inside the archive: 工号-name-course-code.pdf, without path or odd characters."""
    parts = [cert.employee_no or str(cert.user_id), cert.recipient_name, cert.course_title, cert.code]
    return "-".join(_UNSAFE.sub("_", part).strip("_")[:60] for part in parts) + ".pdf"


def write_archive(certificates: Iterable[Certificate], verify_url_for: Callable[[str], str], out: IO[bytes]) -> int:
    """Write the certificates' PDFs as a ZIP archive to a binary file object; return how many were written."""
    count = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for cert in certificates:
            archive.writestr(archive_name(cert), certificate_pdf(cert, verify_url_for(cert.code)))
            count += 1
    return count


def certificates_archive(certificates: Iterable[Certificate], verify_url_for: Callable[[str], str]) -> bytes:
    """The certificates' PDFs as one ZIP archive (a plain function: a request or a background job may call it)."""
    buffer = io.BytesIO()
    write_archive(certificates, verify_url_for, buffer)
    return buffer.getvalue()
