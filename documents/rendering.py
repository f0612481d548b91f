"""Render HTML templates to PDF (WeasyPrint) and text to QR codes (SVG). No business rules."""

import io

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string


def qr_svg(data: str, *, border: int = 2) -> str:
    """A QR code as an inline SVG path (vector: sharp at any print size)."""
    image = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=border,
    )
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


def _static_url_fetcher(url: str, *args, **kwargs):
    """Serve /static/ files from disk so a PDF never fetches anything over the network."""
    from weasyprint.urls import default_url_fetcher

    if url.startswith("file://"):
        return default_url_fetcher(url, *args, **kwargs)
    prefix = settings.STATIC_URL
    marker = url.find(prefix)
    if marker != -1:
        path = finders.find(url[marker + len(prefix) :])
        if path:
            return default_url_fetcher(f"file://{path}", *args, **kwargs)
    raise ValueError(f"PDF rendering refuses to fetch {url}")


def render_pdf(template_name: str, context: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template_name, context)
    return HTML(
        string=html, base_url=settings.SITE_BASE_URL, url_fetcher=_static_url_fetcher
    ).write_pdf()


def render_pdf_in_parts(parts, *, progress=None) -> bytes:
    """One PDF from several (template_name, context) parts rendered one after the other, for
    documents too long to lay out in one go: each part is laid out alone (bounded memory
    while laying out), then the pages are joined. ``progress(done_parts)`` after each part."""
    from weasyprint import HTML

    documents = []
    for index, (template_name, context) in enumerate(parts, start=1):
        html = render_to_string(template_name, context)
        documents.append(
            HTML(
                string=html, base_url=settings.SITE_BASE_URL, url_fetcher=_static_url_fetcher
            ).render()
        )
        if progress is not None:
            progress(index)
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf()
