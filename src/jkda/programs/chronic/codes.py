"""Value sets of the hypertension and type 2 diabetes follow-up forms (3rd-edition national forms)."""

from jkda.codes.valuesets import register, vs

FOLLOWUP_METHOD = vs("chronic_method", "form", [
    ("1", "门诊", "Clinic"), ("2", "家庭", "Home"), ("3", "电话", "Phone"),
])

HTN_SYMPTOM = vs("htn_symptom", "form", [
    ("1", "无症状", "No symptoms"), ("2", "头痛头晕", "Headache, dizziness"), ("3", "恶心呕吐", "Nausea, vomiting"),
    ("4", "眼花耳鸣", "Blurred vision, tinnitus"), ("5", "呼吸困难", "Breathing difficulty"),
    ("6", "心悸胸闷", "Palpitations, chest tightness"), ("7", "鼻衄出血不止", "Nosebleed that does not stop"),
    ("8", "四肢发麻", "Numb limbs"), ("9", "下肢水肿", "Oedema of the legs"),
], none_code="1")

DM_SYMPTOM = vs("dm_symptom", "form", [
    ("1", "无症状", "No symptoms"), ("2", "多饮", "Polydipsia"), ("3", "多食", "Polyphagia"), ("4", "多尿", "Polyuria"),
    ("5", "视力模糊", "Blurred vision"), ("6", "感染", "Infection"), ("7", "手脚麻木", "Numb hands and feet"),
    ("8", "下肢浮肿", "Oedema of the legs"), ("9", "体重明显下降", "Marked weight loss"),
], none_code="1")

SALT = vs("chronic_salt", "form", [
    ("1", "轻", "Light"), ("2", "中", "Medium"), ("3", "重", "Heavy"),
])

# 心理调整 and 遵医行为 share the three levels.
GOOD_FAIR_POOR = vs("chronic_good_fair_poor", "form", [
    ("1", "良好", "Good"), ("2", "一般", "Fair"), ("3", "差", "Poor"),
])

ADHERENCE = vs("chronic_adherence", "form", [
    ("1", "规律", "Regular"), ("2", "间断", "Intermittent"), ("3", "不服药", "Not taking medicine"),
])

NONE_PRESENT = vs("chronic_none_present", "form", [
    ("1", "无", "None"), ("2", "有", "Present"),
])

HYPOGLYCAEMIA = vs("dm_hypoglycaemia", "form", [
    ("1", "无", "None"), ("2", "偶尔", "Occasional"), ("3", "频繁", "Frequent"),
])

DORSALIS_PEDIS = vs("dm_dorsalis_pedis", "form", [
    ("1", "触及正常", "Normal"),
    ("2", "减弱（双侧）", "Weak (both)"), ("3", "减弱（左侧）", "Weak (left)"), ("4", "减弱（右侧）", "Weak (right)"),
    ("5", "消失（双侧）", "Absent (both)"), ("6", "消失（左侧）", "Absent (left)"),
    ("7", "消失（右侧）", "Absent (right)"),
])

CLASSIFICATION = vs("chronic_classification", "form", [
    ("1", "控制满意", "Satisfactory control"), ("2", "控制不满意", "Unsatisfactory control"),
    ("3", "不良反应", "Adverse reaction"), ("4", "并发症", "Complication"),
])

REFERRAL_RESULT = vs("chronic_referral_result", "form", [
    ("1", "到位", "Arrived"), ("2", "不到位", "Did not arrive"),
])

# What the rules advise about referral after this visit (computed, not on the paper form).
REFERRAL_PROMPT = vs("chronic_referral_prompt", "jkda", [
    ("0", "无需转诊", "No referral"),
    ("1", "建议转诊", "Referral suggested"),
    ("2", "紧急转诊", "Urgent referral"),
])

register(FOLLOWUP_METHOD, HTN_SYMPTOM, DM_SYMPTOM, SALT, GOOD_FAIR_POOR, ADHERENCE, NONE_PRESENT, HYPOGLYCAEMIA,
         DORSALIS_PEDIS, CLASSIFICATION, REFERRAL_RESULT, REFERRAL_PROMPT)
