"""Rendered PDFs (signed reports, tumour-board packets) in storage: written under their own name, and served only
while their bytes still hash to the digest recorded at render time. No WeasyPrint here: pages and workers share it."""

import hashlib
from io import BytesIO

from django.core.files.base import ContentFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse


def store_pdf(file: FieldFile, name: str, pdf: bytes) -> str:
    """Overwrite, never add: storage.save() would pick a new name beside an existing file (a render that died
    after writing it), leaving two PDFs for one version."""
    storage = file.storage
    if storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, ContentFile(pdf))
    if saved != name:
        storage.delete(saved)
        raise RuntimeError(f"The storage renamed the PDF to {saved}; expected {name}.")
    return name


def verified_pdf(file: FieldFile, sha256: str) -> bytes | None:
    """The stored bytes if they still hash to ``sha256``, else None. Serving these very bytes means nothing can
    change between the check and the response."""
    try:
        with file.open("rb") as stored:
            data = stored.read()
    except (FileNotFoundError, ValueError):  # ValueError: no file was ever stored
        return None
    return data if hashlib.sha256(data).hexdigest() == sha256 else None


def pdf_attachment(data: bytes, filename: str) -> FileResponse:
    response = FileResponse(BytesIO(data), as_attachment=True, filename=filename, content_type="application/pdf")
    response["Cache-Control"] = "no-store"  # patient data: not kept in shared or browser caches
    return response
