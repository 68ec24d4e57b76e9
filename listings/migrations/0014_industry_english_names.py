"""English names for the SEI 2021 industries already loaded (new loads get them from the directory loader)."""
from django.db import migrations


def add_english_names(apps, schema_editor):
    from listings.catalogue.fixtures_data.sei2021_en import SEI2021_INDUSTRIES_EN

    Industry = apps.get_model("listings", "Industry")
    for industry in Industry.objects.filter(scheme="sei2021", name_en=""):
        name_en = SEI2021_INDUSTRIES_EN.get(industry.code.removeprefix("SEI-"))
        if name_en:
            industry.name_en = name_en
            industry.save(update_fields=["name_en"])


class Migration(migrations.Migration):

    dependencies = [
        ("listings", "0013_merge_hardening_tokens"),
    ]

    operations = [
        migrations.RunPython(add_english_names, migrations.RunPython.noop),
    ]
