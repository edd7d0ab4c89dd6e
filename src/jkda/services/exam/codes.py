"""Value sets of the health examination form (健康体检表, 3rd edition 2017): codes as printed on the form."""

from __future__ import annotations

from jkda.codes.valuesets import register, vs

_FORM = "健康体检表 (2017)"

SYMPTOM = vs("exam_symptom", _FORM, [
    ("1", "无症状", "No symptoms"), ("2", "头痛", "Headache"), ("3", "头晕", "Dizziness"),
    ("4", "心悸", "Palpitations"), ("5", "胸闷", "Chest tightness"), ("6", "胸痛", "Chest pain"),
    ("7", "慢性咳嗽", "Chronic cough"), ("8", "咳痰", "Sputum"), ("9", "呼吸困难", "Dyspnoea"),
    ("10", "多饮", "Polydipsia"), ("11", "多尿", "Polyuria"), ("12", "体重下降", "Weight loss"),
    ("13", "乏力", "Fatigue"), ("14", "关节肿痛", "Joint swelling and pain"), ("15", "视力模糊", "Blurred vision"),
    ("16", "手脚麻木", "Numb hands or feet"), ("17", "尿急", "Urinary urgency"), ("18", "尿痛", "Dysuria"),
    ("19", "便秘", "Constipation"), ("20", "腹泻", "Diarrhoea"), ("21", "恶心呕吐", "Nausea and vomiting"),
    ("22", "眼花", "Dim sight"), ("23", "耳鸣", "Tinnitus"), ("24", "乳房胀痛", "Breast tenderness"),
    ("25", "其他", "Other"),
], none_code="1")

HEALTH_STATUS = vs("exam_health_status", _FORM, [
    ("1", "满意", "Satisfied"), ("2", "基本满意", "Fairly satisfied"), ("3", "说不清楚", "Cannot say"),
    ("4", "不太满意", "Not very satisfied"), ("5", "不满意", "Dissatisfied"),
])

SELFCARE_LEVEL = vs("exam_selfcare_level", _FORM, [
    ("1", "可自理（0～3分）", "Independent (0–3)"), ("2", "轻度依赖（4～8分）", "Mildly dependent (4–8)"),
    ("3", "中度依赖（9～18分）", "Moderately dependent (9–18)"), ("4", "不能自理（≥19分）", "Dependent (≥ 19)"),
])

SCREEN = vs("exam_screen", _FORM, [("1", "粗筛阴性", "Screen negative"), ("2", "粗筛阳性", "Screen positive")])

EXERCISE_FREQ = vs("exam_exercise_freq", _FORM, [
    ("1", "每天", "Daily"), ("2", "每周一次以上", "More than once a week"), ("3", "偶尔", "Occasionally"),
    ("4", "不锻炼", "Never"),
])

DIET = vs("exam_diet", _FORM, [
    ("1", "荤素均衡", "Balanced"), ("2", "荤食为主", "Mainly meat"), ("3", "素食为主", "Mainly vegetarian"),
    ("4", "嗜盐", "Salty"), ("5", "嗜油", "Oily"), ("6", "嗜糖", "Sweet"),
])

SMOKING = vs("exam_smoking", _FORM, [
    ("1", "从不吸烟", "Never smoked"), ("2", "已戒烟", "Quit"), ("3", "吸烟", "Smokes"),
])

DRINKING_FREQ = vs("exam_drinking_freq", _FORM, [
    ("1", "从不", "Never"), ("2", "偶尔", "Occasionally"), ("3", "经常", "Often"), ("4", "每天", "Daily"),
])

DRINKING_QUIT = vs("exam_drinking_quit", _FORM, [("1", "未戒酒", "Still drinks"), ("2", "已戒酒", "Quit")])

YES_NO = vs("exam_yes_no", _FORM, [("1", "是", "Yes"), ("2", "否", "No")])

NO_YES = vs("exam_no_yes", _FORM, [("1", "否", "No"), ("2", "是", "Yes")])

ALCOHOL_KIND = vs("exam_alcohol_kind", _FORM, [
    ("1", "白酒", "Spirits"), ("2", "啤酒", "Beer"), ("3", "红酒", "Wine"), ("4", "黄酒", "Yellow wine"),
    ("5", "其他", "Other"),
])

NONE_HAS = vs("exam_none_has", _FORM, [("1", "无", "None"), ("2", "有", "Present")])

LIPS = vs("exam_lips", _FORM, [
    ("1", "红润", "Rosy"), ("2", "苍白", "Pale"), ("3", "发绀", "Cyanotic"), ("4", "皲裂", "Chapped"),
    ("5", "疱疹", "Herpes"),
])

DENTITION = vs("exam_dentition", _FORM, [
    ("1", "正常", "Normal"), ("2", "缺齿", "Missing teeth"), ("3", "龋齿", "Caries"), ("4", "义齿（假牙）", "Dentures"),
], none_code="1")

THROAT = vs("exam_throat", _FORM, [
    ("1", "无充血", "No congestion"), ("2", "充血", "Congested"),
    ("3", "淋巴滤泡增生", "Lymphoid follicle hyperplasia"),
])

HEARING = vs("exam_hearing", _FORM, [
    ("1", "听见", "Hears"), ("2", "听不清或无法听见", "Hears unclearly or not at all"),
])

MOTOR = vs("exam_motor", _FORM, [
    ("1", "可顺利完成", "Completes smoothly"), ("2", "无法独立完成其中任何一个动作", "Cannot complete any alone"),
])

NORMAL = vs("exam_normal", _FORM, [("1", "正常", "Normal"), ("2", "异常", "Abnormal")])

NOT_ABNORMAL = vs("exam_not_abnormal", _FORM, [("1", "未见异常", "No abnormality"), ("2", "异常", "Abnormal")])

SKIN = vs("exam_skin", _FORM, [
    ("1", "正常", "Normal"), ("2", "潮红", "Flushed"), ("3", "苍白", "Pale"), ("4", "发绀", "Cyanotic"),
    ("5", "黄染", "Jaundiced"), ("6", "色素沉着", "Pigmented"), ("7", "其他", "Other"),
])

SCLERA = vs("exam_sclera", _FORM, [
    ("1", "正常", "Normal"), ("2", "黄染", "Jaundiced"), ("3", "充血", "Congested"), ("4", "其他", "Other"),
])

LYMPH = vs("exam_lymph", _FORM, [
    ("1", "未触及", "Not palpable"), ("2", "锁骨上", "Supraclavicular"), ("3", "腋窝", "Axillary"),
    ("4", "其他", "Other"),
])

RALES = vs("exam_rales", _FORM, [("1", "无", "None"), ("2", "干啰音", "Dry rales"), ("3", "湿啰音", "Moist rales"),
                                 ("4", "其他", "Other")])

RHYTHM = vs("exam_rhythm", _FORM, [("1", "齐", "Regular"), ("2", "不齐", "Irregular"),
                                   ("3", "绝对不齐", "Absolutely irregular")])

OEDEMA = vs("exam_oedema", _FORM, [
    ("1", "无", "None"), ("2", "单侧", "One side"), ("3", "双侧不对称", "Both sides, asymmetric"),
    ("4", "双侧对称", "Both sides, symmetric"),
])

DORSALIS = vs("exam_dorsalis", _FORM, [
    ("1", "未触及", "Not palpable"), ("2", "触及双侧对称", "Palpable, symmetric"),
    ("3", "触及左侧弱或消失", "Left weak or absent"), ("4", "触及右侧弱或消失", "Right weak or absent"),
])

RECTAL = vs("exam_rectal", _FORM, [
    ("1", "未及异常", "No abnormality"), ("2", "触痛", "Tender"), ("3", "包块", "Mass"),
    ("4", "前列腺异常", "Prostate abnormal"), ("5", "其他", "Other"),
])

BREAST = vs("exam_breast", _FORM, [
    ("1", "未见异常", "No abnormality"), ("2", "乳房切除", "Mastectomy"), ("3", "异常泌乳", "Abnormal lactation"),
    ("4", "乳腺包块", "Breast mass"), ("5", "其他", "Other"),
], none_code="1")

DIPSTICK = vs("exam_dipstick", "WS 364 (semi-quantitative)", [
    ("1", "-", "Negative"), ("2", "±", "Trace"), ("3", "+", "1+"), ("4", "++", "2+"), ("5", "+++", "3+"),
    ("6", "++++", "4+"),
])

NEG_POS = vs("exam_neg_pos", _FORM, [("1", "阴性", "Negative"), ("2", "阳性", "Positive")])

CEREBRO = vs("exam_cerebrovascular", _FORM, [
    ("1", "未发现", "None found"), ("2", "缺血性卒中", "Ischaemic stroke"), ("3", "脑出血", "Cerebral haemorrhage"),
    ("4", "蛛网膜下腔出血", "Subarachnoid haemorrhage"), ("5", "短暂性脑缺血发作", "Transient ischaemic attack"),
    ("6", "其他", "Other"),
], none_code="1")

KIDNEY = vs("exam_kidney", _FORM, [
    ("1", "未发现", "None found"), ("2", "糖尿病肾病", "Diabetic nephropathy"), ("3", "肾功能衰竭", "Renal failure"),
    ("4", "急性肾炎", "Acute nephritis"), ("5", "慢性肾炎", "Chronic nephritis"), ("6", "其他", "Other"),
], none_code="1")

HEART = vs("exam_heart", _FORM, [
    ("1", "未发现", "None found"), ("2", "心肌梗死", "Myocardial infarction"), ("3", "心绞痛", "Angina"),
    ("4", "冠状动脉血运重建", "Coronary revascularisation"), ("5", "充血性心力衰竭", "Congestive heart failure"),
    ("6", "心前区疼痛", "Precordial pain"), ("7", "其他", "Other"),
], none_code="1")

VASCULAR = vs("exam_vascular", _FORM, [
    ("1", "未发现", "None found"), ("2", "夹层动脉瘤", "Dissecting aneurysm"),
    ("3", "动脉闭塞性疾病", "Arterial occlusive disease"), ("4", "其他", "Other"),
], none_code="1")

EYE = vs("exam_eye", _FORM, [
    ("1", "未发现", "None found"), ("2", "视网膜出血或渗出", "Retinal haemorrhage or exudate"),
    ("3", "视乳头水肿", "Papilloedema"), ("4", "白内障", "Cataract"), ("5", "其他", "Other"),
], none_code="1")

FOUND = vs("exam_found", _FORM, [("1", "未发现", "None found"), ("2", "有", "Present")], none_code="1")

ADHERENCE = vs("exam_adherence", _FORM, [("1", "规律", "Regular"), ("2", "间断", "Intermittent"),
                                         ("3", "不服药", "Not taking")])

EVALUATION = vs("exam_evaluation", _FORM, [("1", "体检无异常", "No abnormality"), ("2", "有异常", "Abnormal")])

GUIDANCE = vs("exam_guidance", _FORM, [
    ("1", "纳入慢性病患者健康管理", "Enrol in chronic disease management"), ("2", "建议复查", "Recheck advised"),
    ("3", "建议转诊", "Referral advised"),
])

RISK_CONTROL = vs("exam_risk_control", _FORM, [
    ("1", "戒烟", "Stop smoking"), ("2", "健康饮酒", "Drink sensibly"), ("3", "饮食", "Diet"),
    ("4", "锻炼", "Exercise"),
    ("5", "减体重", "Lose weight"), ("6", "建议接种疫苗", "Vaccination advised"), ("7", "其他", "Other"),
])

ALL = (SYMPTOM, HEALTH_STATUS, SELFCARE_LEVEL, SCREEN, EXERCISE_FREQ, DIET, SMOKING, DRINKING_FREQ, DRINKING_QUIT,
       YES_NO, NO_YES, ALCOHOL_KIND, NONE_HAS, LIPS, DENTITION, THROAT, HEARING, MOTOR, NORMAL, NOT_ABNORMAL, SKIN,
       SCLERA, LYMPH, RALES, RHYTHM, OEDEMA, DORSALIS, RECTAL, BREAST, DIPSTICK, NEG_POS, CEREBRO, KIDNEY, HEART,
       VASCULAR, EYE, FOUND, ADHERENCE, EVALUATION, GUIDANCE, RISK_CONTROL)

register(*ALL)
