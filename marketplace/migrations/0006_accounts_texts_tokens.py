"""Notifications store codes and parameters (title_text, body_text) instead of a Chinese and an English title;
users keep their language; members get named, revocable API tokens.

Rows written before codes existed cannot be turned back into codes: their titles become per-language literals
(``{"lit": {"zh-hans": …, "en": …}}``), taken from ``title_en`` or from a mixed title "中文 / English"."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _split(title: str, title_en: str) -> dict:
    zh, en = title, title_en
    head, sep, tail = title.rpartition(" / ")
    if sep and head and tail.isascii():  # "您的需求“X”有新的匹配专利 / new matches for your demand"
        zh, en = head, en or tail
    return {"lit": {"zh-hans": zh, "en": en} if en else {"zh-hans": zh}}


def legacy_titles_to_texts(apps, schema_editor):
    Notification = apps.get_model("marketplace", "Notification")
    rows = Notification.objects.filter(title_text={}).only("pk", "title", "title_en")
    for row in rows.iterator(chunk_size=500):
        row.title_text = _split(row.title, row.title_en)
        row.title = row.title_text["lit"]["zh-hans"][:300]
        row.save(update_fields=["title_text", "title"])


def texts_to_legacy_titles(apps, schema_editor):
    Notification = apps.get_model("marketplace", "Notification")
    for row in Notification.objects.only("pk", "title_text").iterator(chunk_size=500):
        literal = (row.title_text or {}).get("lit") or {}
        if literal.get("en"):
            Notification.objects.filter(pk=row.pk).update(title_en=literal["en"][:300])


class Migration(migrations.Migration):

    dependencies = [
        ('marketplace', '0005_notification_dedup'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='notification',
            name='body_text',
            field=models.JSONField(blank=True, default=dict, verbose_name='内容（代码与参数）'),
        ),
        migrations.AddField(
            model_name='notification',
            name='title_text',
            field=models.JSONField(blank=True, default=dict, verbose_name='标题（代码与参数）'),
        ),
        migrations.RunPython(legacy_titles_to_texts, texts_to_legacy_titles),
        migrations.RemoveField(
            model_name='notification',
            name='title_en',
        ),
        migrations.AddField(
            model_name='notificationpreference',
            name='language',
            field=models.CharField(blank=True, default='', max_length=10, verbose_name='语言'),
        ),
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='名称')),
                ('prefix', models.CharField(db_index=True, max_length=16, verbose_name='前缀')),
                ('key_hash', models.CharField(max_length=64, unique=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('last_used_at', models.DateTimeField(blank=True, null=True, verbose_name='最近使用')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='撤销时间')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='member_api_tokens', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'API 令牌',
                'verbose_name_plural': 'API 令牌',
                'ordering': ['-created_at', '-pk'],
            },
        ),
    ]
