"""Value sets of the children's forms (0–6 years) and of immunisation, as printed on the national forms."""

from jkda.codes.valuesets import register, vs

YES_NO = vs("child_none_present", "form", [("1", "无", "None"), ("2", "有", "Present")])
NORMAL = vs("child_normal", "form", [("1", "未见异常", "Normal"), ("2", "异常", "Abnormal")])
EVAL3 = vs("child_eval3", "form", [("1", "上", "Upper"), ("2", "中", "Middle"), ("3", "下", "Lower")])

PREGNANCY_ILLNESS = vs("child_pregnancy_illness", "form", [
    ("1", "无", "None"), ("2", "糖尿病", "Diabetes"), ("3", "妊娠期高血压", "Gestational hypertension"),
    ("4", "其他", "Other"),
], none_code="1")
BIRTH_MODE = vs("child_birth_mode", "form", [
    ("1", "顺产", "Spontaneous delivery"), ("2", "胎头吸引", "Vacuum extraction"), ("3", "产钳", "Forceps"),
    ("4", "剖宫", "Caesarean section"), ("5", "双多胎", "Twins or multiples"), ("6", "臀位", "Breech"),
    ("7", "其他", "Other"),
])
HEARING_SCREEN = vs("child_hearing_screen", "form", [
    ("1", "通过", "Passed"), ("2", "未通过", "Not passed"), ("3", "未筛查", "Not screened"), ("4", "不详", "Unknown"),
])
DISEASE_SCREEN = vs("child_disease_screen", "form", [
    ("1", "未进行", "Not done"), ("2", "检查均阴性", "All negative"), ("3", "甲低", "Hypothyroidism"),
    ("4", "苯丙酮尿症", "Phenylketonuria"), ("5", "其他遗传代谢病", "Other inherited metabolic disease"),
])
FEEDING = vs("child_feeding", "form", [
    ("1", "纯母乳", "Exclusive breastfeeding"), ("2", "混合", "Mixed"), ("3", "人工", "Formula"),
])
STOOL = vs("child_stool", "form", [("1", "糊状", "Paste"), ("2", "稀", "Loose"), ("3", "其他", "Other")])
COMPLEXION = vs("child_complexion", "form", [("1", "红润", "Rosy"), ("2", "黄染", "Jaundiced"), ("3", "其他", "Other")])
JAUNDICE = vs("child_jaundice_site", "form", [
    ("1", "无", "None"), ("2", "面部", "Face"), ("3", "躯干", "Trunk"), ("4", "四肢", "Limbs"),
    ("5", "手足", "Hands and feet"),
], none_code="1")
FONTANELLE = vs("child_fontanelle", "form", [
    ("1", "正常", "Normal"), ("2", "膨隆", "Bulging"), ("3", "凹陷", "Sunken"), ("4", "其他", "Other"),
])
FONTANELLE_CLOSED = vs("child_fontanelle_closed", "form", [("1", "闭合", "Closed"), ("2", "未闭", "Open")])
NEWBORN_SKIN = vs("child_newborn_skin", "form", [
    ("1", "未见异常", "Normal"), ("2", "湿疹", "Eczema"), ("3", "糜烂", "Erosion"), ("4", "其他", "Other"),
])
CORD = vs("child_umbilical_cord", "form", [
    ("1", "未脱", "Not fallen off"), ("2", "脱落", "Fallen off"), ("3", "脐部有渗出", "Oozing"), ("4", "其他", "Other"),
])
NEWBORN_GUIDANCE = vs("child_newborn_guidance", "form", [
    ("1", "喂养指导", "Feeding"), ("2", "发育指导", "Development"), ("3", "防病指导", "Disease prevention"),
    ("4", "预防伤害指导", "Injury prevention"), ("5", "口腔保健指导", "Oral health"), ("6", "其他", "Other"),
])
GUIDANCE = vs("child_guidance", "form", [
    ("1", "科学喂养", "Feeding"), ("2", "合理膳食", "Balanced diet"), ("3", "生长发育", "Growth and development"),
    ("4", "疾病预防", "Disease prevention"), ("5", "预防意外伤害", "Injury prevention"),
    ("6", "口腔保健", "Oral health"),
    ("7", "其他", "Other"),
])
CHECK_AGE_INFANT = vs("child_check_age_infant", "form", [
    ("1", "满月", "1 month"), ("3", "3月龄", "3 months"), ("6", "6月龄", "6 months"), ("8", "8月龄", "8 months"),
])
CHECK_AGE_TODDLER = vs("child_check_age_toddler", "form", [
    ("12", "12月龄", "12 months"), ("18", "18月龄", "18 months"), ("24", "24月龄", "24 months"),
    ("30", "30月龄", "30 months"),
])
CHECK_AGE_PRESCHOOL = vs("child_check_age_preschool", "form", [
    ("36", "3岁", "3 years"), ("48", "4岁", "4 years"), ("60", "5岁", "5 years"), ("72", "6岁", "6 years"),
])
TCM_AGE = vs("child_tcm_age", "form", [
    ("6", "6月龄", "6 months"), ("12", "12月龄", "12 months"), ("18", "18月龄", "18 months"),
    ("24", "24月龄", "24 months"), ("30", "30月龄", "30 months"), ("36", "36月龄", "36 months"),
])
TCM_GUIDANCE = vs("child_tcm_guidance", "form", [
    ("1", "中医饮食调养指导", "TCM dietary guidance"), ("2", "中医起居调摄指导", "TCM daily-life guidance"),
    ("3", "传授摩腹、捏脊方法", "Taught abdominal massage and spine pinching"),
    ("4", "传授按揉迎香穴、足三里穴方法", "Taught Yingxiang and Zusanli acupoint massage"),
    ("5", "传授按揉四神聪穴方法", "Taught Sishencong acupoint massage"), ("6", "其他", "Other"),
])
RICKETS_SYMPTOM = vs("child_rickets_symptom", "form", [
    ("1", "无", "None"), ("2", "夜惊", "Night terrors"), ("3", "多汗", "Sweating"), ("4", "烦躁", "Irritability"),
], none_code="1")
RICKETS_SIGN = vs("child_rickets_sign", "form", [
    ("1", "无", "None"), ("2", "颅骨软化", "Craniotabes"), ("3", "方颅", "Square skull"),
    ("4", "枕秃", "Occipital baldness"),
    ("5", "肋串珠", "Rachitic rosary"), ("6", "肋外翻", "Rib flaring"), ("7", "肋软骨沟", "Harrison's groove"),
    ("8", "鸡胸", "Pigeon chest"), ("9", "手镯征", "Wrist widening"), ("10", "O型腿", "Bow legs"),
    ("11", "X型腿", "Knock knees"),
], none_code="1")
HEARING = vs("child_hearing", "form", [("1", "通过", "Passed"), ("2", "未通过", "Not passed")])
DEVELOPMENT = vs("child_development", "form", [
    ("1", "通过", "Passed (no warning sign)"), ("2", "未通过", "Not passed (warning sign found)"),
])
GROWTH_EVAL = vs("child_growth_eval", "form", [
    ("1", "正常", "Normal"), ("2", "低体重", "Underweight"), ("3", "消瘦", "Wasting"), ("4", "发育迟缓", "Stunting"),
    ("5", "超重", "Overweight"),
])
GAIT = vs("child_gait", "form", [("1", "未见异常", "Normal"), ("2", "异常", "Abnormal")])

VACCINE = vs("child_vaccine", "国家免疫规划疫苗儿童免疫程序（2021年版）", [
    ("HepB", "乙肝疫苗", "Hepatitis B vaccine (HepB)"),
    ("BCG", "卡介苗", "BCG vaccine"),
    ("IPV", "脊灰灭活疫苗", "Inactivated polio vaccine (IPV)"),
    ("bOPV", "脊灰减毒活疫苗", "Bivalent oral polio vaccine (bOPV)"),
    ("DTaP", "百白破疫苗", "DTaP vaccine"),
    ("DT", "白破疫苗", "DT vaccine"),
    ("MMR", "麻腮风疫苗", "Measles, mumps and rubella vaccine (MMR)"),
    ("JE-L", "乙脑减毒活疫苗", "Live Japanese encephalitis vaccine (JE-L)"),
    ("MPSV-A", "A群流脑多糖疫苗", "Group A meningococcal polysaccharide vaccine (MPSV-A)"),
    ("MPSV-AC", "A群C群流脑多糖疫苗", "Group A and C meningococcal polysaccharide vaccine (MPSV-AC)"),
    ("HepA-L", "甲肝减毒活疫苗", "Live hepatitis A vaccine (HepA-L)"),
])
SITE = vs("child_vaccine_site", "form", [
    ("1", "左上臂", "Left upper arm"), ("2", "右上臂", "Right upper arm"), ("3", "左大腿", "Left thigh"),
    ("4", "右大腿", "Right thigh"), ("5", "口服", "Oral"), ("9", "其他", "Other"),
])

register(YES_NO, NORMAL, EVAL3, PREGNANCY_ILLNESS, BIRTH_MODE, HEARING_SCREEN, DISEASE_SCREEN, FEEDING, STOOL,
         COMPLEXION, JAUNDICE, FONTANELLE, FONTANELLE_CLOSED, NEWBORN_SKIN, CORD, NEWBORN_GUIDANCE, GUIDANCE,
         CHECK_AGE_INFANT, CHECK_AGE_TODDLER, CHECK_AGE_PRESCHOOL, TCM_AGE, TCM_GUIDANCE, RICKETS_SYMPTOM,
         RICKETS_SIGN, HEARING, DEVELOPMENT, GROWTH_EVAL, GAIT, VACCINE, SITE)
