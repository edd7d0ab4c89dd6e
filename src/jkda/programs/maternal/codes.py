"""Value sets of the maternal forms (第1次产前检查、第2~5次产前随访、产后访视、产后42天健康检查记录表)."""

from jkda.codes.valuesets import register, vs

NORMAL = vs("mat_normal", "form", [
    ("1", "未见异常", "No abnormality"),
    ("2", "异常", "Abnormal"),
])

RECOVERY = vs("mat_recovery", "form", [
    ("1", "已恢复", "Recovered"),
    ("2", "未恢复", "Not recovered"),
])

YES_NO = vs("mat_yes_no", "form", [
    ("1", "无", "No"),
    ("2", "有", "Yes"),
])

PAST_HISTORY = vs("mat_past_history", "form", [
    ("1", "无", "None"),
    ("2", "心脏病", "Heart disease"),
    ("3", "肾脏疾病", "Kidney disease"),
    ("4", "肝脏疾病", "Liver disease"),
    ("5", "高血压", "Hypertension"),
    ("6", "贫血", "Anaemia"),
    ("7", "糖尿病", "Diabetes"),
    ("8", "其他", "Other"),
], none_code="1")

FAMILY_HISTORY = vs("mat_family_history", "form", [
    ("1", "无", "None"),
    ("2", "遗传性疾病史", "Hereditary disease"),
    ("3", "精神疾病史", "Mental illness"),
    ("4", "其他", "Other"),
], none_code="1")

PERSONAL_HISTORY = vs("mat_personal_history", "form", [
    ("1", "无特殊", "Nothing particular"),
    ("2", "吸烟", "Smoking"),
    ("3", "饮酒", "Drinking"),
    ("4", "服用药物", "Taking medicines"),
    ("5", "接触有毒有害物质", "Exposure to toxic substances"),
    ("6", "接触放射线", "Exposure to radiation"),
    ("7", "其他", "Other"),
], none_code="1")

URINE = vs("mat_urine", "form", [
    ("0", "阴性(-)", "Negative (-)"),
    ("5", "弱阳性(±)", "Trace (±)"),
    ("1", "+", "+"),
    ("2", "++", "++"),
    ("3", "+++", "+++"),
    ("4", "++++", "++++"),
])

SEROLOGY = vs("mat_serology", "form", [
    ("1", "阴性", "Negative"),
    ("2", "阳性", "Positive"),
    ("3", "未检", "Not tested"),
])

VAGINAL_SECRETION = vs("mat_vaginal_secretion", "form", [
    ("1", "未见异常", "No abnormality"),
    ("2", "滴虫", "Trichomonas"),
    ("3", "假丝酵母菌", "Candida"),
    ("4", "其他", "Other"),
], none_code="1")

CLEANLINESS = vs("mat_cleanliness", "form", [
    ("1", "Ⅰ度", "Grade I"),
    ("2", "Ⅱ度", "Grade II"),
    ("3", "Ⅲ度", "Grade III"),
    ("4", "Ⅳ度", "Grade IV"),
])

FETAL_POSITION = vs("mat_fetal_position", "form", [
    ("1", "头位", "Cephalic"),
    ("2", "臀位", "Breech"),
    ("3", "横位", "Transverse"),
    ("4", "未定", "Not yet determined"),
])

GUIDANCE_FIRST = vs("mat_guidance_first", "form", [
    ("1", "生活方式", "Lifestyle"),
    ("2", "心理", "Psychological"),
    ("3", "营养", "Nutrition"),
    ("4", "避免致畸因素和疾病对胚胎的不良影响", "Avoiding teratogens and disease harm to the embryo"),
    ("5", "产前筛查宣传告知", "Information on prenatal screening"),
    ("6", "其他", "Other"),
])

GUIDANCE_FOLLOWUP = vs("mat_guidance_followup", "form", [
    ("1", "个人卫生", "Personal hygiene"),
    ("2", "膳食", "Diet"),
    ("3", "心理", "Psychological"),
    ("4", "运动", "Exercise"),
    ("5", "自我监护", "Self-monitoring"),
    ("6", "分娩准备", "Preparation for delivery"),
    ("7", "母乳喂养", "Breastfeeding"),
    ("8", "其他", "Other"),
])

GUIDANCE_POSTPARTUM = vs("mat_guidance_postpartum", "form", [
    ("1", "个人卫生", "Personal hygiene"),
    ("2", "心理", "Psychological"),
    ("3", "营养", "Nutrition"),
    ("4", "母乳喂养", "Breastfeeding"),
    ("5", "新生儿护理与喂养", "Newborn care and feeding"),
    ("6", "其他", "Other"),
])

GUIDANCE_42D = vs("mat_guidance_42d", "form", [
    ("1", "心理保健", "Mental health care"),
    ("2", "性保健与避孕", "Sexual health and contraception"),
    ("3", "婴儿喂养", "Infant feeding"),
    ("4", "婴幼儿营养", "Infant nutrition"),
    ("5", "其他", "Other"),
])

DISPOSAL_42D = vs("mat_disposal_42d", "form", [
    ("1", "结案", "Case closed"),
    ("2", "转诊", "Referred"),
])

register(NORMAL, RECOVERY, YES_NO, PAST_HISTORY, FAMILY_HISTORY, PERSONAL_HISTORY, URINE, SEROLOGY,
         VAGINAL_SECRETION, CLEANLINESS, FETAL_POSITION, GUIDANCE_FIRST, GUIDANCE_FOLLOWUP, GUIDANCE_POSTPARTUM,
         GUIDANCE_42D, DISPOSAL_42D)
