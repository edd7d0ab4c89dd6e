"""Value sets of the severe mental disorder program (严重精神障碍患者管理), as printed on the national forms."""

from jkda.codes.valuesets import register, vs

SMI_GUARDIAN_RELATION = vs("smi_guardian_relation", "form", [
    ("1", "配偶", "Spouse"), ("2", "父母", "Parent"), ("3", "子女", "Child"), ("4", "兄弟姐妹", "Sibling"),
    ("5", "其他亲属", "Other relative"), ("6", "村（居）委会", "Village or residents' committee"),
    ("9", "其他", "Other"),
])

SMI_CONSENT = vs("smi_consent", "form", [
    ("1", "同意参加管理", "Agrees to management"),
    ("0", "不同意参加管理", "Refuses management"),
])

SMI_CONSENT_SIGNER = vs("smi_consent_signer", "form", [("1", "患者", "Patient"), ("2", "监护人", "Guardian")])

SMI_DIAGNOSIS = vs("smi_diagnosis", "ICD-10 (form grouping)", [
    ("1", "精神分裂症", "Schizophrenia"),
    ("2", "分裂情感性障碍", "Schizoaffective disorder"),
    ("3", "持久的妄想性障碍（偏执性精神病）", "Persistent delusional disorder (paranoid psychosis)"),
    ("4", "双相（情感）障碍", "Bipolar (affective) disorder"),
    ("5", "癫痫所致精神障碍", "Mental disorder due to epilepsy"),
    ("6", "精神发育迟滞伴发精神障碍", "Intellectual disability with mental disorder"),
])

SMI_SYMPTOM = vs("smi_symptom", "form", [
    ("1", "幻觉", "Hallucinations"), ("2", "交流困难", "Difficulty communicating"), ("3", "猜疑", "Suspiciousness"),
    ("4", "喜怒无常", "Mood swings"), ("5", "行为怪异", "Bizarre behaviour"), ("6", "兴奋话多", "Excited, talkative"),
    ("7", "伤人毁物", "Hurting people or damaging property"), ("8", "悲观厌世", "Pessimism, world-weariness"),
    ("9", "无故外走", "Wandering off without reason"), ("10", "自语自笑", "Talking or laughing to oneself"),
    ("11", "孤僻懒散", "Withdrawn and idle"), ("12", "其他", "Other"),
])

SMI_OUTPATIENT = vs("smi_outpatient", "form", [
    ("1", "未治", "Never treated"), ("2", "间断门诊治疗", "Intermittent outpatient treatment"),
    ("3", "连续门诊治疗", "Continuous outpatient treatment"),
])

SMI_EFFECT = vs("smi_effect", "form", [
    ("1", "临床痊愈", "Clinically cured"), ("2", "好转", "Improved"), ("3", "无变化", "Unchanged"),
    ("4", "加重", "Worse"),
])

SMI_LOCKUP = vs("smi_lockup", "form", [
    ("1", "无关锁", "Not locked up"), ("2", "关锁", "Locked up"), ("3", "关锁已解除", "Lock-up ended"),
])

SMI_ECONOMY = vs("smi_economy", "form", [
    ("1", "贫困，在当地贫困线标准以下", "Poor (below the local poverty line)"), ("2", "非贫困", "Not poor"),
    ("3", "不详", "Unknown"),
])

SMI_METHOD = vs("smi_method", "form", [
    ("1", "门诊", "Clinic"), ("2", "家庭访视", "Home visit"), ("3", "电话", "Telephone"),
])

# The risk assessment of the national service standard (危险性评估), exactly as DOMAIN.md §3 defines the levels.
SMI_RISK = vs("smi_risk", "国家基本公共卫生服务规范（第三版）", [
    ("0", "0级：无符合以下1～5级中的任何行为", "Level 0: none of the behaviours of levels 1-5"),
    ("1", "1级：口头威胁，喊叫，但没有打砸行为", "Level 1: verbal threats, shouting, no smashing"),
    ("2", "2级：打砸行为，局限在家里，针对财物，能被劝说制止",
     "Level 2: smashing at home, against property, stops when persuaded"),
    ("3", "3级：明显打砸行为，不分场合，针对财物，不能接受劝说而停止",
     "Level 3: smashing anywhere, against property, cannot be stopped by persuasion"),
    ("4", "4级：持续的打砸行为，不分场合，针对财物或人，不能接受劝说而停止（包括自伤、自杀）",
     "Level 4: persistent violence anywhere against property or people, cannot be stopped (incl. self-harm, "
     "suicide)"),
    ("5", "5级：持械针对人的任何暴力行为，或者纵火、爆炸等行为，无论在家里还是公共场合",
     "Level 5: any armed violence against people, or arson, explosion, at home or in public"),
])

SMI_INSIGHT = vs("smi_insight", "form", [
    ("1", "自知力完全", "Full insight"), ("2", "自知力不全", "Partial insight"), ("3", "自知力缺失", "No insight"),
])

SMI_LEVEL = vs("smi_level", "form", [("1", "良好", "Good"), ("2", "一般", "Fair"), ("3", "较差", "Poor")])

SMI_ADMISSION = vs("smi_admission", "form", [
    ("0", "未住院", "Not admitted"), ("1", "目前正在住院", "In hospital now"),
    ("2", "曾住院，现未住院", "Was admitted, discharged"),
])

SMI_YES_NO = vs("smi_yes_no", "form", [("1", "无", "No"), ("2", "有", "Yes")])

SMI_ADHERENCE = vs("smi_adherence", "form", [
    ("1", "按医嘱规律用药", "Regular, as prescribed"), ("2", "间断用药", "Intermittent"), ("3", "不用药", "Not taking"),
    ("4", "医嘱勿需用药", "No medication prescribed"),
])

SMI_PHYSICAL = vs("smi_physical", "form", [
    ("1", "无", "None"), ("2", "有，病情稳定", "Present, stable"), ("3", "有，病情严重", "Present, serious"),
])

SMI_REHAB = vs("smi_rehab", "form", [
    ("1", "生活劳动能力", "Daily living and work skills"), ("2", "职业训练", "Vocational training"),
    ("3", "学习能力", "Learning ability"), ("4", "社会交往", "Social interaction"), ("5", "其他", "Other"),
])

SMI_CLASS = vs("smi_class", "国家基本公共卫生服务规范（第三版）", [
    ("1", "不稳定", "Unstable"), ("2", "基本稳定", "Basically stable"), ("3", "稳定", "Stable"),
])

register(SMI_GUARDIAN_RELATION, SMI_CONSENT, SMI_CONSENT_SIGNER, SMI_DIAGNOSIS, SMI_SYMPTOM, SMI_OUTPATIENT,
         SMI_EFFECT, SMI_LOCKUP, SMI_ECONOMY, SMI_METHOD, SMI_RISK, SMI_INSIGHT, SMI_LEVEL, SMI_ADMISSION,
         SMI_YES_NO, SMI_ADHERENCE, SMI_PHYSICAL, SMI_REHAB, SMI_CLASS)
