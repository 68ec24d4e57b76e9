"""Upload checks: type by magic bytes, size, extension agreement; checking uploaded files before they are stored: type by magic bytes, size, and agreement between
the file name's extension and what the bytes really are (a ``.png`` that is a PDF or an EXE is refused).

The browser's ``Content-Type`` and the file name are never trusted on their own.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

import filetype
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.http import FileResponse

MB = 1024 * 1024

#: detected type (``filetype`` extension) → the file-name extensions that may carry it
EXTENSIONS = {
    "jpg": {".jpg", ".jpeg"},
    "png": {".png"},
    "webp": {".webp"},
    "pdf": {".pdf"},
    "docx": {".docx"},
}


@dataclass(frozen=True)
class UploadPolicy:
    types: frozenset[str]
    max_bytes: int


#: the kinds of upload the exchange accepts (attachment kinds use the same names)
POLICIES = {
    "image": UploadPolicy(frozenset({"jpg", "png", "webp"}), 5 * MB),
    "document": UploadPolicy(frozenset({"pdf", "docx", "jpg", "png"}), 20 * MB),
    "authorisation": UploadPolicy(frozenset({"pdf", "jpg", "png"}), 10 * MB),
}


@dataclass(frozen=True)
class CheckedUpload:
    extension: str  # the detected type, e.g. "pdf"
    mime: str
    size: int
    original_name: str


def _error(message: str, code: str) -> ValidationError:
    return ValidationError({"file": [ValidationError(message, code=code)]})


def check_upload(upload: File, *, kind: str) -> CheckedUpload:
    """Return what the file really is, or raise ``ValidationError`` on ``file`` with a rule code."""
    policy = POLICIES.get(kind)
    if policy is None:
        raise ValidationError({"kind": [ValidationError(f"未知附件类型 / unknown attachment kind {kind!r}", code="invalid_choice")]})
    name = PurePosixPath(str(getattr(upload, "name", "") or "")).name
    size = int(getattr(upload, "size", 0) or 0)
    allowed = "、".join(sorted(policy.types))
    if size <= 0:
        raise _error("文件为空 / the file is empty", "upload_empty")
    if size > policy.max_bytes:
        raise _error(
            f"文件过大：{size / MB:.1f} MB，上限 {policy.max_bytes // MB} MB / file too large "
            f"({size} bytes, limit {policy.max_bytes})",
            "upload_too_large",
        )
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    detected = filetype.guess(head)
    if detected is None or detected.extension not in policy.types:
        what = detected.extension if detected else "未知"
        raise _error(
            f"不支持的文件类型（检测为 {what}），允许：{allowed} / file type {what!r} not allowed, allowed: {allowed}",
            "upload_wrong_type",
        )
    extension = PurePosixPath(name).suffix.lower()
    if extension not in EXTENSIONS[detected.extension]:
        raise _error(
            f"文件扩展名“{extension or '无'}”与实际内容（{detected.extension}）不符 / "
            f"the extension {extension or '(none)'} does not match the content ({detected.extension})",
            "upload_extension_mismatch",
        )
    if detected.extension in ("jpg", "png", "webp"):
        _check_image(upload)
    return CheckedUpload(extension=detected.extension, mime=detected.mime, size=size, original_name=name[:255])


#: the most pixels an uploaded image may declare (a 40-megapixel photo; a 5 MB file can declare billions, which
#: Pillow would refuse with a decompression-bomb error, or decode into gigabytes)
MAX_IMAGE_PIXELS = 40_000_000


def _check_image(upload: File) -> None:
    """The magic bytes say image; Pillow must also be able to read it as one (no truncated/polyglot files), and its
    declared size must stay within ``MAX_IMAGE_PIXELS``: read from the header, before anything is decoded."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        upload.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise _error(
                        f"图片尺寸过大：{width}×{height} 像素，上限 {MAX_IMAGE_PIXELS // 1_000_000} 百万像素 / image too "
                        f"large: {width}×{height} pixels, limit {MAX_IMAGE_PIXELS} pixels",
                        "upload_image_too_large",
                    )
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _error(
            f"图片尺寸过大，上限 {MAX_IMAGE_PIXELS // 1_000_000} 百万像素 / image too large (limit {MAX_IMAGE_PIXELS} pixels)",
            "upload_image_too_large",
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _error(f"图片已损坏或无法识别 / the image cannot be read ({exc})", "upload_corrupt_image") from exc
    finally:
        upload.seek(0)


def protected_download(file: Any, *, content_type: str, original_name: str, inline: bool = False) -> FileResponse:
    """Serve a stored upload through a permission-checked view (never straight from MEDIA): the detected type,
    ``nosniff``, and the original name (RFC 5987) as a download unless ``inline`` (images)."""
    response = FileResponse(file.open("rb"), content_type=content_type)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(original_name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
