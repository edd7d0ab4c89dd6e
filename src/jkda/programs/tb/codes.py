"""Value sets of the tuberculosis patient health management program (肺结核患者健康管理)."""

from jkda.codes.valuesets import register, vs

TB_METHOD = vs("tb_method", "form", [("1", "门诊", "Clinic"), ("2", "家庭", "Home"), ("3", "电话", "Telephone")])

TB_PATIENT_TYPE = vs("tb_patient_type", "form", [("1", "初治", "New patient"), ("2", "复治", "Retreatment")])

TB_SPUTUM = vs("tb_sputum", "form", [("1", "阳性", "Positive"), ("2", "阴性", "Negative"),
                                     ("3", "未查痰", "Not examined")])

TB_RESISTANCE = vs("tb_resistance", "form", [("1", "耐药", "Drug-resistant"), ("2", "非耐药", "Not resistant"),
                                             ("3", "未检测", "Not tested")])

TB_SYMPTOM = vs("tb_symptom", "form", [
    ("0", "没有症状", "No symptoms"), ("1", "咳嗽咳痰", "Cough and sputum"),
    ("2", "低热盗汗", "Low fever, night sweats"),
    ("3", "咯血或血痰", "Haemoptysis or bloody sputum"), ("4", "胸痛消瘦", "Chest pain, weight loss"),
    ("5", "恶心纳差", "Nausea, poor appetite"), ("6", "头痛失眠", "Headache, insomnia"),
    ("7", "视物模糊", "Blurred vision"), ("8", "皮肤瘙痒、皮疹", "Itching, rash"),
    ("9", "耳鸣、听力下降", "Tinnitus, hearing loss"),
], none_code="0")

TB_USAGE = vs("tb_usage", "form", [("1", "每日", "Daily"), ("2", "间歇", "Intermittent")])

TB_FORMULATION = vs("tb_formulation", "form", [
    ("1", "固定剂量复合制剂", "Fixed-dose combination"), ("2", "散装药", "Loose drugs"),
    ("3", "板式组合药", "Blister combination"), ("4", "注射剂", "Injection"),
])

TB_SUPERVISOR = vs("tb_supervisor", "form", [
    ("1", "医生", "Doctor"), ("2", "家属", "Family member"), ("3", "自服药", "Self-administered"),
    ("4", "其他", "Other"),
])

TB_YES_NO = vs("tb_yes_no", "form", [("1", "有", "Yes"), ("2", "无", "No")])

TB_VENTILATION = vs("tb_ventilation", "form", [("1", "良好", "Good"), ("2", "一般", "Fair"), ("3", "差", "Poor")])

TB_EDUCATION = vs("tb_education", "form", [
    ("1", "肺结核治疗疗程", "Length of treatment"),
    ("2", "不规律服药危害", "Harm of irregular medication"),
    ("3", "服药方法及药品存放", "How to take and store the drugs"),
    ("4", "服药后不良反应及处理", "Adverse reactions and what to do"),
    ("5", "治疗期间复诊查痰", "Follow-up sputum examinations"),
    ("6", "外出期间如何坚持服药", "Keeping up medication when away"),
    ("7", "生活习惯及注意事项", "Habits and precautions"),
    ("8", "密切接触者检查", "Screening of close contacts"),
    ("9", "服药记录卡的填写", "Filling in the medication card"),
])

TB_STOP_REASON = vs("tb_stop_reason", "form", [
    ("1", "完成疗程", "Treatment completed"), ("2", "死亡", "Died"), ("3", "丢失", "Lost to follow-up"),
    ("4", "转入耐多药治疗", "Moved to MDR-TB treatment"),
])

TB_PHASE = vs("tb_phase", "form", [("1", "强化期", "Intensive phase"), ("2", "继续期", "Continuation phase")])

register(TB_METHOD, TB_PATIENT_TYPE, TB_SPUTUM, TB_RESISTANCE, TB_SYMPTOM, TB_USAGE, TB_FORMULATION, TB_SUPERVISOR,
         TB_YES_NO, TB_VENTILATION, TB_EDUCATION, TB_STOP_REASON, TB_PHASE)
