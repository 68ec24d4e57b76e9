"""marketplace.kernel.uploads and listing_attachment_add: type by magic bytes, size limits, forged extensions."""
from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from listings.trading.models import AttachmentKind, ListingAttachment
from listings.trading.services import attachments
from marketplace.kernel.statemachine import IllegalTransition
from marketplace.kernel.uploads import MB, check_upload
from marketplace.services import NotPermitted

PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def png_bytes(size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def code_of(info) -> str:
    return info.value.error_dict["file"][0].code


def test_real_png_and_pdf_pass():
    checked = check_upload(upload("产品照片.PNG", png_bytes(), "image/png"), kind=AttachmentKind.IMAGE)
    assert (checked.extension, checked.mime) == ("png", "image/png")
    assert check_upload(upload("说明书.pdf", PDF_BYTES), kind=AttachmentKind.DOCUMENT).extension == "pdf"


@pytest.mark.parametrize(
    ("name", "data", "kind", "code"),
    [
        ("photo.png", PDF_BYTES, AttachmentKind.IMAGE, "upload_wrong_type"),  # a .png that is really a PDF
        ("photo.png", EXE_BYTES, AttachmentKind.IMAGE, "upload_wrong_type"),  # a .png that is really an EXE
        ("manual.pdf", EXE_BYTES, AttachmentKind.DOCUMENT, "upload_wrong_type"),
        ("notes.txt", b"plain text, no magic", AttachmentKind.DOCUMENT, "upload_wrong_type"),
        ("scan.pdf", png_bytes(), AttachmentKind.DOCUMENT, "upload_extension_mismatch"),  # PNG named .pdf
        ("scan", PDF_BYTES, AttachmentKind.AUTHORISATION, "upload_extension_mismatch"),  # no extension
        ("photo.jpg", png_bytes(), AttachmentKind.IMAGE, "upload_extension_mismatch"),
        ("empty.png", b"", AttachmentKind.IMAGE, "upload_empty"),
        ("broken.png", png_bytes()[:40], AttachmentKind.IMAGE, "upload_corrupt_image"),
    ],
)
def test_refused(name, data, kind, code):
    with pytest.raises(ValidationError) as info:
        check_upload(upload(name, data), kind=kind)
    assert code_of(info) == code
    assert info.value.message_dict["file"][0]


def test_too_large(monkeypatch):
    big = upload("large.png", png_bytes())
    big.size = 5 * MB + 1
    with pytest.raises(ValidationError) as info:
        check_upload(big, kind=AttachmentKind.IMAGE)
    assert code_of(info) == "upload_too_large"
    assert "5 MB" in info.value.message_dict["file"][0]


@pytest.mark.django_db
def test_service_stores_under_a_random_name_and_refuses_forgeries(make_listing, holder):
    listing = make_listing()
    attachment = attachments.listing_attachment_add(
        listing=listing, by=holder, upload=upload("../../etc/产品照片.png", png_bytes()), kind=AttachmentKind.IMAGE
    )
    assert attachment.original_name == "产品照片.png" and attachment.content_type == "image/png"
    assert attachment.file.name.startswith(f"listings/{listing.pk}/") and ".." not in attachment.file.name
    with pytest.raises(ValidationError) as info:
        attachments.listing_attachment_add(listing=listing, by=holder, upload=upload("fake.png", EXE_BYTES), kind="image")
    assert code_of(info) == "upload_wrong_type"
    assert ListingAttachment.objects.count() == 1


@pytest.mark.django_db
def test_only_the_owner_uploads_and_only_while_editable(make_listing, holder, outsider, publish):
    listing = make_listing()
    with pytest.raises(NotPermitted):
        attachments.listing_attachment_add(listing=listing, by=outsider, upload=upload("a.png", png_bytes()), kind="image")
    publish(listing, owner=holder)
    with pytest.raises(IllegalTransition):
        attachments.listing_attachment_add(listing=listing, by=holder, upload=upload("a.png", png_bytes()), kind="image")
    assert not ListingAttachment.objects.exists()
