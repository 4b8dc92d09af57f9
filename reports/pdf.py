"""HTML to PDF with WeasyPrint, offline.

Clinical networks are often offline and a report must not leak its content to third parties, so the fetcher
serves only files under the static roots and refuses every other URL (http, https, ftp, data, files elsewhere):
WeasyPrint then leaves the resource out and logs a warning, and nothing leaves the machine.
"""

import hashlib
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse


class StaticOnlyFetcher(URLFetcher):
    """Serves file:// URLs inside the static roots; refuses everything else."""

    def __init__(self, roots: list[Path]) -> None:
        super().__init__()
        self.roots = [root.resolve() for root in roots]

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        path = self.allowed_path(url)
        if path is None:
            raise ValueError(f"refused to fetch {url}: only static files are served to the PDF renderer")
        return URLFetcherResponse(url, body=path.read_bytes())

    def allowed_path(self, url: str) -> Path | None:
        """The file behind a file:// URL when it lies under a static root (after resolving "..", symlinks)."""
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return None
        path = Path(unquote(parts.path)).resolve()
        inside = any(path.is_relative_to(root) for root in self.roots)
        return path if inside and path.is_file() else None


def static_roots() -> list[Path]:
    return [Path(folder) for folder in (*settings.STATICFILES_DIRS, settings.STATIC_ROOT) if folder]


def html_to_pdf(html: str, *, base_url: str) -> bytes:
    """The PDF of a complete HTML document; relative URLs resolve against ``base_url`` (a file:// static root)."""
    fetcher = StaticOnlyFetcher(static_roots())
    return HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()


def pdf_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
