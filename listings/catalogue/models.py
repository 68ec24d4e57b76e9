"""The zone patent database: IPC scheme, industries and zones with their IPC scope, and patents."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from listings.catalogue.identifiers import IPC_LEVELS, parse_ipc, validate_application_number
from listings.catalogue.names import display_name, normalise_name
from marketplace.identifiers import validate_uscc


class PatentKind(models.TextChoices):
    INVENTION = "invention", _("发明")
    UTILITY_MODEL = "utility_model", _("实用新型")
    DESIGN = "design", _("外观设计")


class LegalStatus(models.TextChoices):
    PENDING = "pending", _("审中")
    IN_FORCE = "in_force", _("有效")
    EXPIRED = "expired", _("期限届满")
    LAPSED = "lapsed", _("未缴年费终止")
    INVALIDATED = "invalidated", _("无效")
    WITHDRAWN = "withdrawn", _("撤回")
    REJECTED = "rejected", _("驳回")
    ABANDONED = "abandoned", _("放弃专利权")


#: CNIPA's wording of a change of owner; the source's applicants may then be the former owners
TRANSFER_PHRASES = ("专利权转移", "申请权转移")
#: CNIPA's wording of a registered pledge (DOMAIN §5)
PLEDGE_PHRASES = ("质押合同登记生效",)


#: statuses in which a right (or, for pending, an application right) still exists
LIVE_STATUSES = (LegalStatus.PENDING, LegalStatus.IN_FORCE)


def in_force_q(day: dt.date | None = None, prefix: str = "") -> Q:
    """The query form of ``Patent.in_force_on``: status in force and the term not ended on ``day`` (today).

    ``prefix`` reaches the patent through a relation, e.g. ``"patent__"`` or ``"patents__"``.
    """
    day = day or timezone.localdate()
    return Q(**{f"{prefix}legal_status": LegalStatus.IN_FORCE}) & (
        Q(**{f"{prefix}expiry_date__gte": day})
        | (
            Q(**{f"{prefix}expiry_date__isnull": True})
            & (Q(**{f"{prefix}expiry_year__isnull": True}) | Q(**{f"{prefix}expiry_year__gte": day.year}))
        )
    )

DESIGN_15_YEARS_FROM = dt.date(2021, 6, 1)
TERM_YEARS = {PatentKind.INVENTION: 20, PatentKind.UTILITY_MODEL: 10}


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def compute_expiry(kind: str, application_date: dt.date | None) -> dt.date | None:
    """The end of the term, counted from the filing date (Patent Law art. 42).

    Invention 20 years; utility model 10 years; design 15 years if filed on or after
    2021-06-01, else 10. Never typed in: always derived from kind and filing date.
    """
    if application_date is None:
        return None
    if kind == PatentKind.DESIGN:
        years = 15 if application_date >= DESIGN_15_YEARS_FROM else 10
    else:
        years = TERM_YEARS[PatentKind(kind)]
    return _add_years(application_date, years)


def compute_expiry_year(kind: str, application_year: int | None) -> int | None:
    """The year the term ends when only the filing year is known (the application number gives it).

    ``None`` when the year alone cannot tell: a design filed in 2021 has 10 years before 1 June and 15
    from then on, so its term ends in 2031 or 2036.
    """
    if application_year is None:
        return None
    if kind == PatentKind.DESIGN:
        if application_year == DESIGN_15_YEARS_FROM.year:
            return None
        return application_year + (15 if application_year > DESIGN_15_YEARS_FROM.year else 10)
    return application_year + TERM_YEARS[PatentKind(kind)]


def application_year_of(application_number: str | None, application_date: dt.date | None) -> int | None:
    """The filing year: from the date when known, else from the application number (its first digits)."""
    if application_date is not None:
        return application_date.year
    if not application_number:
        return None
    from listings.catalogue.identifiers import IdentifierError, parse_application_number

    try:
        return parse_application_number(application_number).year
    except IdentifierError:
        return None


#: appended where the active language has no title and the other language's stands in, so a reader sees why
FALLBACK_MARK_EN = " (Chinese title only)"
FALLBACK_MARK_ZH = "（仅有英文名称）"


def localised_text(zh: str, en: str) -> str:
    """``en`` in English and ``zh`` otherwise; when that one is missing, the other with a visible marker."""
    if (get_language() or "zh-hans").lower().startswith("en"):
        return en or (f"{zh}{FALLBACK_MARK_EN}" if zh else "")
    return zh or (f"{en}{FALLBACK_MARK_ZH}" if en else "")


class LocalisedTitleMixin:
    """``title`` in the active language, falling back visibly to the other one."""

    def localised(self, field: str) -> str:
        return localised_text(getattr(self, f"{field}_zh"), getattr(self, f"{field}_en"))

    @property
    def title(self) -> str:
        return self.localised("title")


class IpcEntry(LocalisedTitleMixin, models.Model):
    """One node of the IPC scheme, section to subgroup, with Chinese and English titles."""

    class Level(models.TextChoices):
        SECTION = "section", _("部")
        CLASS = "class", _("大类")
        SUBCLASS = "subclass", _("小类")
        MAIN_GROUP = "main_group", _("大组")
        SUBGROUP = "subgroup", _("小组")

    code = models.CharField(_("分类号"), max_length=20, primary_key=True)
    level = models.CharField(_("层级"), max_length=12, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children", db_constraint=False
    )
    title_zh = models.TextField(_("中文名称"), blank=True)
    title_en = models.TextField(_("英文名称"), blank=True)
    edition = models.CharField(_("版本"), max_length=40, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("IPC 分类")
        verbose_name_plural = _("IPC 分类")

    def __str__(self) -> str:
        return f"{self.display_code} {self.title}"

    @property
    def display_code(self) -> str:
        return parse_ipc(self.code).display


class Industry(models.Model):
    """An industry (产业) and the technology field it maps to: a set of IPC rules."""

    class Scheme(models.TextChoices):
        ZONE = "zone", _("实验区主导产业")
        SEI2021 = "sei2021", _("战略性新兴产业（2021）")

    code = models.CharField(_("代码"), max_length=20, unique=True)
    scheme = models.CharField(_("分类体系"), max_length=20, choices=Scheme.choices, default=Scheme.ZONE)
    name_zh = models.CharField(_("中文名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    category = models.CharField(_("上级类别"), max_length=200, blank=True)
    basis = models.TextField(_("依据"), blank=True)
    keywords = models.JSONField(
        _("确认关键词"),
        default=list,
        blank=True,
        help_text=_(
            "A patent whose IPC code stops at a subclass that contains a narrower pattern of this scope "
            "(e.g. H04B for H04B10/) belongs to the industry only when its title or abstract has one of these words."
        ),
    )

    class Meta:
        ordering = ["scheme", "code"]
        verbose_name = _("产业")
        verbose_name_plural = _("产业")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        return localised_text(self.name_zh, self.name_en)

    @property
    def category_name(self) -> str:
        """The group the industry is shown under (a zone's leading industry, or a SEI category), localised."""
        from listings.catalogue.fixtures_data.sei2021_en import SEI2021_CATEGORIES_EN, ZONE_CATEGORY_EN, ZONE_CATEGORY_ZH

        if self.scheme == self.Scheme.ZONE:
            return localised_text(self.category or ZONE_CATEGORY_ZH, ZONE_CATEGORY_EN)
        code = (self.category or "").split(" ", 1)[0]
        return localised_text(self.category, SEI2021_CATEGORIES_EN.get(code, ""))


class IpcScopeRule(models.Model):
    """One IPC pattern of an industry's scope.

    Rules with the same ``rule_no`` form a group: a code belongs to the group if it matches an
    include pattern and no exclude pattern of that group (the CNIPA 2021 table's semantics).
    ``prefix`` patterns ending in ``/`` are main groups, so ``H04L1/`` does not match ``H04L12/…``.
    """

    class Match(models.TextChoices):
        PREFIX = "prefix", _("前缀")
        EXACT = "exact", _("精确")

    class Role(models.TextChoices):
        INCLUDE = "include", _("包含")
        EXCLUDE = "exclude", _("排除")

    industry = models.ForeignKey(Industry, on_delete=models.CASCADE, related_name="scope_rules")
    rule_no = models.PositiveIntegerField(default=1)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.INCLUDE)
    pattern = models.CharField(_("IPC 模式"), max_length=30)
    match = models.CharField(max_length=10, choices=Match.choices, default=Match.PREFIX)
    confidence = models.CharField(max_length=10, blank=True)
    basis = models.TextField(blank=True)

    class Meta:
        ordering = ["industry", "rule_no", "role", "pattern"]
        constraints = [
            models.UniqueConstraint(fields=["industry", "rule_no", "role", "pattern", "match"], name="scope_rule_unique"),
        ]

    def __str__(self) -> str:
        sign = "+" if self.role == self.Role.INCLUDE else "−"
        return f"{sign}{self.pattern}{'*' if self.match == self.Match.PREFIX else ''}"

    def matches(self, code: str) -> bool:
        return code == self.pattern if self.match == self.Match.EXACT else code.startswith(self.pattern)


class Zone(models.Model):  # type: ignore[django-manager-missing]  # reverse of a wagtail Page FK (cms_pages)
    """A national patent-navigation experimental zone (国家专利导航产业发展实验区) and its industry."""

    code = models.CharField(_("编号"), max_length=10, unique=True)
    slug = models.SlugField(unique=True)
    name_zh = models.CharField(_("实验区名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    short_name_zh = models.CharField(_("简称"), max_length=50, blank=True)
    industry = models.ForeignKey(Industry, on_delete=models.PROTECT, related_name="zones")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("实验区")
        verbose_name_plural = _("实验区")

    def __str__(self) -> str:
        return self.name_zh

    @property
    def name(self) -> str:
        return localised_text(self.name_zh, self.name_en)


class Patent(models.Model):
    """A Chinese patent or application in the zone database.

    Identity is the application number when known, else the first publication number.
    ``expiry_date`` is derived from kind and filing date on every save.
    """

    kind = models.CharField(_("专利类型"), max_length=20, choices=PatentKind.choices, db_index=True)
    application_number = models.CharField(
        _("申请号"), max_length=20, null=True, blank=True, unique=True, validators=[validate_application_number]
    )
    publication_number = models.CharField(_("公开（公告）号"), max_length=20, unique=True)
    title = models.CharField(_("名称"), max_length=500)
    abstract = models.TextField(_("摘要"), blank=True)
    claims = models.TextField(_("权利要求"), blank=True)
    applicants = models.JSONField(_("申请人"), default=list, blank=True)
    inventors = models.JSONField(_("发明人"), default=list, blank=True)
    holders = models.ManyToManyField(
        "marketplace.Organisation", verbose_name=_("权利人机构"), blank=True, related_name="patents"
    )
    main_ipc = models.CharField(_("主分类号"), max_length=20, blank=True, db_index=True)
    application_date = models.DateField(_("申请日"), null=True, blank=True, db_index=True)
    publication_date = models.DateField(_("公开（公告）日"), null=True, blank=True)
    grant_date = models.DateField(_("授权日"), null=True, blank=True)
    legal_status = models.CharField(
        _("法律状态"), max_length=20, choices=LegalStatus.choices, default=LegalStatus.PENDING, db_index=True
    )
    legal_status_text = models.CharField(
        _("法律状态（原文）"), max_length=60, blank=True,
        help_text=_("The source's own wording of the latest legal status, e.g. 专利权转移, kept beside the mapped status."),
    )
    application_year = models.PositiveSmallIntegerField(
        _("申请年份"), null=True, blank=True, db_index=True, editable=False,
        help_text=_("From the filing date, else from the application number (which gives the year, not the day)."),
    )
    expiry_date = models.DateField(_("届满日（计算）"), null=True, blank=True, editable=False)
    expiry_year = models.PositiveSmallIntegerField(
        _("届满年份（计算）"), null=True, blank=True, editable=False,
        help_text=_("The year the term ends when only the filing year is known."),
    )
    locarno_classes = models.JSONField(
        _("洛迦诺分类号"), default=list, blank=True,
        help_text=_('Designs: Locarno classes with their edition, e.g. [{"code": "14-03", "edition": 9}].'),
    )
    patentees = models.ManyToManyField(
        "listings.Patentee", through="listings.PatentPatentee", verbose_name=_("申请人（专利权人）"), blank=True,
        related_name="patents",
    )
    industries = models.ManyToManyField(Industry, verbose_name=_("所属产业"), blank=True, related_name="patents")
    zones = models.ManyToManyField(Zone, verbose_name=_("所属实验区"), blank=True, related_name="patents")
    source = models.CharField(_("数据来源"), max_length=120, blank=True)
    sources = models.JSONField(_("全部数据来源"), default=list, blank=True, help_text=_("Every file that supplied this patent."))
    is_demo = models.BooleanField(_("演示数据"), default=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = [
            models.F("application_year").desc(nulls_last=True),
            models.F("application_date").desc(nulls_last=True),
            "publication_number",
        ]
        verbose_name = _("专利")
        verbose_name_plural = _("专利")

    def __str__(self) -> str:
        return f"{self.publication_number} {self.title}"

    def save(self, *args, **kwargs):
        self.derive_term()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {"application_year", "expiry_date", "expiry_year"}
        super().save(*args, **kwargs)

    def derive_term(self) -> None:
        """Filing year, expiry date and expiry year from kind, filing date and application number: never typed in."""
        self.application_year = application_year_of(self.application_number, self.application_date)
        self.expiry_date = compute_expiry(self.kind, self.application_date)
        self.expiry_year = self.expiry_date.year if self.expiry_date else compute_expiry_year(self.kind, self.application_year)

    def get_absolute_url(self) -> str:
        return reverse("cms:patent-detail", args=[self.publication_number])

    @property
    def patent_number(self) -> str:
        return f"ZL{self.application_number}" if self.application_number else ""

    @property
    def display_application_number(self) -> str:
        """As CNIPA prints it today: ``CN200910001164.5``."""
        return f"CN{self.application_number}" if self.application_number else ""

    @property
    def year_only(self) -> bool:
        """Only the filing year is known (from the application number), not the day."""
        return self.application_date is None and self.application_year is not None

    @property
    def expiry_year_alternatives(self) -> tuple[int, int] | None:
        """A design filed in 2021 whose day is unknown ends in 2031 (filed before 1 June) or 2036."""
        if self.expiry_date or self.expiry_year or self.kind != PatentKind.DESIGN:
            return None
        if self.application_year == DESIGN_15_YEARS_FROM.year:
            return (self.application_year + 10, self.application_year + 15)
        return None

    @property
    def is_transfer_record(self) -> bool:
        """The latest legal status is a change of owner (专利权转移 / 申请权转移)."""
        return self.legal_status_text in TRANSFER_PHRASES

    @property
    def is_pledge_record(self) -> bool:
        return self.legal_status_text in PLEDGE_PHRASES

    @property
    def term_rule(self) -> str:
        """The statutory term for this kind of patent, in words (Patent Law art. 42)."""
        if self.kind == PatentKind.INVENTION:
            return str(_("发明专利权期限为自申请日起二十年"))
        if self.kind == PatentKind.UTILITY_MODEL:
            return str(_("实用新型专利权期限为自申请日起十年"))
        return str(_("外观设计专利权期限自申请日起十五年（2021年6月1日前申请的为十年）"))

    def in_force_on(self, day: dt.date) -> bool:
        """In force on ``day``: the status says so and the term has not ended (the one definition).

        With only the filing year known the term has surely ended only after its expiry year.
        """
        if self.legal_status != LegalStatus.IN_FORCE:
            return False
        if self.expiry_date:
            return self.expiry_date >= day
        return not (self.expiry_year and self.expiry_year < day.year)

    @property
    def is_in_force(self) -> bool:
        return self.in_force_on(timezone.localdate())


class Patentee(models.Model):
    """A named applicant or patentee (申请人/专利权人) as the records name it: a party of the catalogue, not a member.

    A registered organisation that shows it is this party is linked to it by an operator
    (``patentee_link_confirm``); it may then list the patentee's patents without an authorisation.
    """

    name = models.CharField(_("名称"), max_length=300)
    normalised_name = models.CharField(_("规范化名称"), max_length=300, unique=True, editable=False)
    uscc = models.CharField(
        _("统一社会信用代码"), max_length=18, null=True, blank=True, unique=True, validators=[validate_uscc]
    )
    organisation = models.ForeignKey(
        "marketplace.Organisation", verbose_name=_("已确认的会员机构"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="patentees",
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    linked_at = models.DateTimeField(_("确认时间"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("申请人（专利权人）")
        verbose_name_plural = _("申请人（专利权人）")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name = display_name(self.name)
        self.normalised_name = normalise_name(self.name)
        super().save(*args, **kwargs)


class PatenteeRole(models.TextChoices):
    APPLICANT = "applicant", _("申请人（著录项目）")
    RECORDED_OWNER = "recorded_owner", _("登记的新权利人")


class PatentPatentee(models.Model):
    """A patentee of a patent, in the order the record names them; a recorded new owner after a transfer."""

    patent = models.ForeignKey(Patent, on_delete=models.CASCADE, related_name="patentee_links")
    patentee = models.ForeignKey(Patentee, on_delete=models.PROTECT, related_name="patent_links")
    position = models.PositiveSmallIntegerField(default=0)
    role = models.CharField(_("身份"), max_length=20, choices=PatenteeRole.choices, default=PatenteeRole.APPLICANT)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["patent", "role", "position"]
        constraints = [
            models.UniqueConstraint(fields=["patent", "patentee", "role"], name="patent_patentee_unique"),
        ]
        verbose_name = _("专利的申请人")
        verbose_name_plural = _("专利的申请人")

    def __str__(self) -> str:
        return f"{self.patent_id} {self.patentee_id} {self.role}"


class PatentPublication(models.Model):
    """Each publication of a patent: A (application published), B/C (granted invention), U/Y, S/D."""

    patent = models.ForeignKey(Patent, on_delete=models.CASCADE, related_name="publications")
    number = models.CharField(_("公开（公告）号"), max_length=20, unique=True)
    kind_code = models.CharField(_("文献种类代码"), max_length=2)
    date = models.DateField(_("公开（公告）日"), null=True, blank=True)

    class Meta:
        ordering = ["date", "number"]

    def __str__(self) -> str:
        return self.number


class PatentIpc(models.Model):
    """One IPC code of a patent, stored once per level so any level can be filtered and counted."""

    patent = models.ForeignKey(Patent, on_delete=models.CASCADE, related_name="ipc_codes")
    position = models.PositiveSmallIntegerField(default=0)
    code = models.CharField(_("分类号"), max_length=20)
    is_main = models.BooleanField(default=False)
    section = models.CharField(max_length=1, db_index=True)
    ipc_class = models.CharField(max_length=3, db_index=True)
    subclass = models.CharField(max_length=4, blank=True, db_index=True)
    main_group = models.CharField(max_length=12, blank=True, db_index=True)
    subgroup = models.CharField(max_length=20, blank=True, db_index=True)

    class Meta:
        ordering = ["patent", "position"]
        constraints = [models.UniqueConstraint(fields=["patent", "code"], name="patent_ipc_unique")]

    def __str__(self) -> str:
        return self.code

    @classmethod
    def from_code(cls, patent: Patent, code: str, position: int = 0) -> PatentIpc:
        ipc = parse_ipc(code)
        levels = ipc.levels
        return cls(
            patent=patent,
            position=position,
            code=str(ipc),
            is_main=position == 0,
            section=ipc.section,  # == levels["section"]
            ipc_class=levels["class"] or "",
            subclass=levels["subclass"] or "",
            main_group=levels["main_group"] or "",
            subgroup=levels["subgroup"] or "",
        )

    #: the model field holding each IPC level
    LEVEL_FIELDS = dict(zip(IPC_LEVELS, ("section", "ipc_class", "subclass", "main_group", "subgroup")))


# ---------------------------------------------------------------------------------------
# The licence register and encumbrances: facts about a patent that constrain trading
# ---------------------------------------------------------------------------------------
class LicenceKind(models.TextChoices):
    EXCLUSIVE = "exclusive", _("独占许可")
    SOLE = "sole", _("排他许可")
    NON_EXCLUSIVE = "non_exclusive", _("普通许可")


class LicenceGrant(models.Model):
    """A licence that exists on a patent: granted through the exchange, taken under an open licence,
    or recorded by an operator from a CNIPA filing (备案). New exclusive or sole licences are checked
    against these."""

    patent = models.ForeignKey("listings.Patent", on_delete=models.CASCADE, related_name="licence_grants")
    listing = models.ForeignKey("listings.Listing", null=True, blank=True, on_delete=models.SET_NULL, related_name="grants")
    kind = models.CharField(_("许可类型"), max_length=20, choices=LicenceKind.choices)
    licensor = models.ForeignKey(
        "marketplace.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="licences_granted"
    )
    licensee = models.ForeignKey(
        "marketplace.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="licences_held"
    )
    licensee_name = models.CharField(_("被许可人"), max_length=200, blank=True)
    territory = models.CharField(_("许可地域"), max_length=200, blank=True)
    field_of_use = models.CharField(_("使用领域"), max_length=200, blank=True)
    term_start = models.DateField(_("许可期限起"), null=True, blank=True)
    term_end = models.DateField(_("许可期限止"), null=True, blank=True)
    is_open_licence = models.BooleanField(_("开放许可实施"), default=False)
    active = models.BooleanField(_("有效"), default=True, db_index=True)
    record_number = models.CharField(_("备案号"), max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["patent", "-created_at"]
        verbose_name = _("已有许可")
        verbose_name_plural = _("已有许可")

    def __str__(self) -> str:
        return f"{self.patent_id} {self.get_kind_display()} → {self.licensee_name or self.licensee_id}"


class EncumbranceKind(models.TextChoices):
    PLEDGE = "pledge", _("质押")
    PRESERVATION = "preservation", _("财产保全")
    OTHER = "other", _("其他权利限制")


class Encumbrance(models.Model):
    """A registered restriction on a patent (DOMAIN §5): while active, the patent may not be traded."""

    patent = models.ForeignKey("listings.Patent", on_delete=models.CASCADE, related_name="encumbrances")
    kind = models.CharField(_("类型"), max_length=20, choices=EncumbranceKind.choices)
    holder = models.ForeignKey(
        "marketplace.Organisation", verbose_name=_("权利人（质权人等）"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="encumbrances_held",
    )
    reference = models.CharField(_("登记号"), max_length=100, blank=True)
    active = models.BooleanField(_("有效"), default=True, db_index=True)
    registered_at = models.DateTimeField(_("登记时间"))
    released_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["patent", "-registered_at"]
        verbose_name = _("权利负担")
        verbose_name_plural = _("权利负担")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.patent_id} ({'有效' if self.active else '已解除'})"


class DealType(models.TextChoices):
    ASSIGNMENT = "assignment", _("转让")
    LICENCE = "licence", _("许可")
    OPEN_LICENCE = "open_licence", _("开放许可")
