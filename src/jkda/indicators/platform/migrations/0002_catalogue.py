"""The starting catalogue: the business functions of the municipal platform's usage report, the 20 WS/T 483
health-record shared documents and the 53 WS/T 500 EMR shared documents, of which 16 are marked required (the
province's list; change the `required` flags in the admin when a province asks for others)."""

from django.db import migrations

FUNCTIONS = [
    ("tcm_differentiation", "辨证论治", 10),
    ("remote_consultation", "远程会诊", 20),
    ("knowledge_base", "知识库", 30),
    ("remote_education", "远程教育", 40),
]

HEALTH_RECORD = [
    "个人基本健康信息登记", "出生医学证明", "新生儿家庭访视", "儿童健康体检", "首次产前随访服务", "产前随访服务",
    "产后访视", "产后42天健康检查", "预防接种报告", "传染病报告", "死亡医学证明", "高血压患者随访服务",
    "2型糖尿病患者随访服务", "重性精神疾病患者个人信息登记", "重性精神疾病患者随访服务", "成人健康体检",
    "门诊摘要", "住院摘要", "会诊记录", "转诊（院）记录",
]

EMR = [
    "病历概要", "门（急）诊病历", "急诊留观病历", "西药处方", "中药处方", "检查报告", "检验报告", "治疗记录",
    "一般手术记录", "麻醉术前访视记录", "麻醉记录", "麻醉术后访视记录", "输血记录", "待产记录", "阴道分娩记录",
    "剖宫产记录", "一般护理记录", "病重（病危）护理记录", "手术护理记录", "生命体征测量记录", "出入量记录",
    "高值耗材使用记录", "入院评估", "护理计划", "出院评估与指导", "手术知情同意书", "麻醉知情同意书",
    "输血治疗同意书", "特殊检查及特殊治疗同意书", "病危（重）通知书", "其他知情告知同意书", "住院病案首页",
    "中医住院病案首页", "入院记录", "24小时内入出院记录", "24小时内入院死亡记录", "首次病程记录",
    "日常病程记录", "上级医师查房记录", "疑难病例讨论记录", "交接班记录", "转科记录", "阶段小结", "抢救记录",
    "会诊记录", "术前小结", "术前讨论", "术后首次病程记录", "出院记录", "死亡记录", "死亡病例讨论记录",
    "住院医嘱", "出院小结",
]
# WS/T 500 part numbers of the EMR subsets the province requires (16): what a primary-care institution writes.
EMR_REQUIRED = {1, 2, 4, 5, 6, 7, 8, 17, 20, 32, 33, 34, 37, 38, 45, 49}


def seed(apps, schema_editor):
    BusinessFunction = apps.get_model("platform_usage", "BusinessFunction")
    DocumentSubset = apps.get_model("platform_usage", "DocumentSubset")
    for code, name, order in FUNCTIONS:
        BusinessFunction.objects.get_or_create(code=code, defaults={"name": name, "order": order})
    for i, name in enumerate(HEALTH_RECORD, 1):
        DocumentSubset.objects.get_or_create(code=f"HR{i:02d}", defaults={
            "kind": "health_record", "name": name, "order": i, "required": True})
    for i, name in enumerate(EMR, 1):
        DocumentSubset.objects.get_or_create(code=f"EMR{i:02d}", defaults={
            "kind": "emr", "name": name, "order": i, "required": i in EMR_REQUIRED})


class Migration(migrations.Migration):
    dependencies = [("platform_usage", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
