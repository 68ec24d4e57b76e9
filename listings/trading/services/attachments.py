"""Listing files: images, documents and the patentee's authorisation, and the operator's check of it."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from listings.catalogue.models import Patent
from listings.trading import permissions as listing_permissions
from listings.trading.models import AttachmentKind, Listing, ListingAttachment, ReviewStatus
from listings.trading.models import ListingStatus as S
from listings.trading.services.lifecycle import lock_listing, tell_owner
from marketplace.kernel.statemachine import IllegalTransition, RuleBroken
from marketplace.kernel.uploads import check_upload
from marketplace.notifications import notify, text
from marketplace.services import NotPermitted, operators, require_operator
from marketplace.verbs import Verb


@transaction.atomic
def listing_attachment_add(
    *, listing: Listing, by: User, upload: UploadedFile, kind: str, patent: Patent | None = None
) -> ListingAttachment:
    """Store an image, a document or an authorisation after checking type (magic bytes), size and extension."""
    locked = lock_listing(listing)
    if not listing_permissions.can_manage_listing(by, locked):
        raise NotPermitted("您无权为此挂牌上传文件 / you may not upload to this listing")
    open_for = EDITABLE_FOR_UPLOAD.get(kind, ())
    if locked.status not in open_for:
        raise IllegalTransition("listing", f"upload_{kind}", locked.status)
    if patent is not None and not locked.patents.filter(pk=patent.pk).exists():
        raise RuleBroken([("patent", "patent_not_in_listing", "授权书涉及的专利不在本挂牌中 / that patent is not in this listing")])
    checked = check_upload(upload, kind=kind)
    upload.name = f"upload.{checked.extension}"
    attachment = ListingAttachment(
        listing=locked, kind=kind, patent=patent, original_name=checked.original_name, content_type=checked.mime,
        size=checked.size, uploaded_by=by,
    )
    attachment.file.save(upload.name, upload, save=False)
    attachment.save()
    if kind == AttachmentKind.AUTHORISATION:
        notify(users=operators(), verb=Verb.AUTHORISATION_UPLOADED, title=text(_("授权书待核验：{title}"), title=locked.title), url="/review/")
    return attachment


#: statuses in which each kind of file may be added; an authorisation may follow a submission
EDITABLE_FOR_UPLOAD: dict[str, tuple[str, ...]] = {
    AttachmentKind.IMAGE: (S.DRAFT, S.REJECTED),
    AttachmentKind.DOCUMENT: (S.DRAFT, S.REJECTED),
    AttachmentKind.AUTHORISATION: (S.DRAFT, S.REJECTED, S.SUBMITTED, S.IN_REVIEW),
}


@transaction.atomic
def listing_attachment_remove(*, attachment: ListingAttachment, by: User) -> None:
    locked = lock_listing(attachment.listing)
    if not listing_permissions.can_manage_listing(by, locked):
        raise NotPermitted("您无权删除此文件 / you may not remove this file")
    if not locked.is_editable:
        raise IllegalTransition("listing", "remove_file", locked.status)
    attachment = ListingAttachment.objects.get(pk=attachment.pk, listing=locked)
    storage, name = attachment.file.storage, attachment.file.name
    assert name is not None  # a stored attachment always has a file
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name))


def _review_authorisation(attachment: ListingAttachment, by, decision: str, note: str) -> ListingAttachment:
    require_operator(by)
    lock_listing(attachment.listing)
    attachment = ListingAttachment.objects.select_for_update(of=("self",)).select_related("listing").get(pk=attachment.pk)
    if attachment.kind != AttachmentKind.AUTHORISATION:
        raise RuleBroken([("kind", "not_authorisation", "只有授权书需要核验 / only authorisations are verified")])
    if attachment.review_status != ReviewStatus.PENDING:
        raise IllegalTransition("authorisation", decision, attachment.review_status)
    attachment.review_status = decision
    attachment.reviewed_by = by
    attachment.reviewed_at = timezone.now()
    attachment.review_note = (note or "").strip()
    attachment.save(update_fields=["review_status", "reviewed_by", "reviewed_at", "review_note"])
    return attachment


@transaction.atomic
def authorisation_accept(*, attachment: ListingAttachment, by: User, note: str = "") -> ListingAttachment:
    attachment = _review_authorisation(attachment, by, ReviewStatus.ACCEPTED, note)
    tell_owner(attachment.listing, Verb.AUTHORISATION_ACCEPTED, text(_("挂牌“{title}”的授权书已核验"), title=attachment.listing.title), note)
    return attachment


@transaction.atomic
def authorisation_reject(*, attachment: ListingAttachment, by: User, reason: str) -> ListingAttachment:
    if not (reason or "").strip():
        raise RuleBroken([("reason", "reason_required", "请填写未通过的原因 / a reason is required")])
    attachment = _review_authorisation(attachment, by, ReviewStatus.REJECTED, reason)
    tell_owner(attachment.listing, Verb.AUTHORISATION_REJECTED, text(_("挂牌“{title}”的授权书未通过核验"), title=attachment.listing.title), reason)
    return attachment
