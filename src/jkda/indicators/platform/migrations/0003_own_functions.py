"""The business functions of jkda itself, whose use the system counts as it happens (platform/usage.py): the
platform usage report shows them beside the regional platform's functions that are imported from its log."""

from django.db import migrations

FUNCTIONS = [
    ("health_records", "居民健康档案", 50),
    ("health_exam", "健康体检", 60),
    ("followup", "重点人群随访", 70),
    ("child_maternal", "儿童和孕产妇健康管理", 80),
    ("vaccination", "预防接种", 90),
    ("consultation", "会诊", 100),
    ("two_way_referral", "双向转诊", 110),
    ("clinic_encounter", "接诊记录", 120),
]


def seed(apps, schema_editor):
    BusinessFunction = apps.get_model("platform_usage", "BusinessFunction")
    for code, name, order in FUNCTIONS:
        BusinessFunction.objects.get_or_create(code=code, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("platform_usage", "0002_catalogue")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
