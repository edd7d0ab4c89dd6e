"""Value sets of the institution-level public health services (health education, infectious-disease reports,
health supervision assistance). Names carry the area prefix: he_ (health education), idr_ (infectious-disease
report), sup_ (supervision assistance)."""

from __future__ import annotations

from jkda.codes.valuesets import register, vs

STANDARD = "国家基本公共卫生服务规范（第三版）"

HE_ACTIVITY_KIND = vs("he_activity_kind", STANDARD, [
    ("1", "发放印刷资料", "Printed material distribution"),
    ("2", "播放音像资料", "Audio-visual showing"),
    ("3", "更换宣传栏", "Notice board update"),
    ("4", "公众健康咨询活动", "Public health consultation"),
    ("5", "健康知识讲座", "Health knowledge talk"),
    ("9", "其他", "Other"),
])
PRINTED, AUDIO_VISUAL, BOARD_UPDATE, CONSULTATION, TALK, OTHER = "1", "2", "3", "4", "5", "9"

HE_MATERIAL_FORM = vs("he_material_form", STANDARD, [
    ("1", "健康教育折页", "Folded leaflet"),
    ("2", "健康教育处方", "Health education prescription"),
    ("3", "健康手册", "Health booklet"),
    ("4", "传单", "Flyer"),
    ("5", "宣传画", "Poster"),
    ("9", "其他", "Other"),
])

HE_AUDIENCE = vs("he_audience", STANDARD, [
    ("1", "辖区居民", "Residents of the area"),
    ("2", "青少年", "Adolescents"),
    ("3", "妇女", "Women"),
    ("4", "老年人", "Older people"),
    ("5", "残疾人", "People with disabilities"),
    ("6", "0～6岁儿童家长", "Parents of children aged 0-6"),
    ("7", "农民工", "Migrant workers"),
    ("8", "慢性病患者", "People with chronic diseases"),
    ("9", "其他", "Other"),
])

# The notifiable infectious diseases (中华人民共和国传染病防治法 and the later additions): code, 中文, English,
# class (A / B / C) and whether a class B disease is managed as class A (reported within the class A deadline).
IDR_DISEASES: tuple[tuple[str, str, str, str, bool], ...] = (
    ("A01", "鼠疫", "Plague", "A", False),
    ("A02", "霍乱", "Cholera", "A", False),
    ("B01", "传染性非典型肺炎", "SARS", "B", True),
    ("B02", "肺炭疽", "Pulmonary anthrax", "B", True),
    ("B03", "艾滋病", "HIV/AIDS", "B", False),
    ("B04", "甲型病毒性肝炎", "Hepatitis A", "B", False),
    ("B05", "乙型病毒性肝炎", "Hepatitis B", "B", False),
    ("B06", "丙型病毒性肝炎", "Hepatitis C", "B", False),
    ("B07", "戊型病毒性肝炎", "Hepatitis E", "B", False),
    ("B08", "未分型病毒性肝炎", "Viral hepatitis, untyped", "B", False),
    ("B09", "脊髓灰质炎", "Poliomyelitis", "B", False),
    ("B10", "人感染高致病性禽流感", "Human infection with highly pathogenic avian influenza", "B", False),
    ("B11", "麻疹", "Measles", "B", False),
    ("B12", "流行性出血热", "Haemorrhagic fever with renal syndrome", "B", False),
    ("B13", "狂犬病", "Rabies", "B", False),
    ("B14", "流行性乙型脑炎", "Japanese encephalitis", "B", False),
    ("B15", "登革热", "Dengue", "B", False),
    ("B16", "皮肤炭疽及未分型炭疽", "Cutaneous or untyped anthrax", "B", False),
    ("B17", "细菌性和阿米巴性痢疾", "Bacillary and amoebic dysentery", "B", False),
    ("B18", "肺结核", "Pulmonary tuberculosis", "B", False),
    ("B19", "伤寒和副伤寒", "Typhoid and paratyphoid fever", "B", False),
    ("B20", "流行性脑脊髓膜炎", "Meningococcal meningitis", "B", False),
    ("B21", "百日咳", "Pertussis", "B", False),
    ("B22", "白喉", "Diphtheria", "B", False),
    ("B23", "新生儿破伤风", "Neonatal tetanus", "B", False),
    ("B24", "猩红热", "Scarlet fever", "B", False),
    ("B25", "布鲁氏菌病", "Brucellosis", "B", False),
    ("B26", "淋病", "Gonorrhoea", "B", False),
    ("B27", "梅毒", "Syphilis", "B", False),
    ("B28", "钩端螺旋体病", "Leptospirosis", "B", False),
    ("B29", "血吸虫病", "Schistosomiasis", "B", False),
    ("B30", "疟疾", "Malaria", "B", False),
    ("B31", "人感染H7N9禽流感", "Human infection with avian influenza A(H7N9)", "B", False),
    ("B32", "新型冠状病毒感染", "COVID-19", "B", False),
    ("B33", "猴痘", "Mpox", "B", False),
    ("C01", "流行性感冒", "Influenza", "C", False),
    ("C02", "流行性腮腺炎", "Mumps", "C", False),
    ("C03", "风疹", "Rubella", "C", False),
    ("C04", "急性出血性结膜炎", "Acute haemorrhagic conjunctivitis", "C", False),
    ("C05", "麻风病", "Leprosy", "C", False),
    ("C06", "流行性和地方性斑疹伤寒", "Epidemic and endemic typhus", "C", False),
    ("C07", "黑热病", "Kala-azar", "C", False),
    ("C08", "包虫病", "Echinococcosis", "C", False),
    ("C09", "丝虫病", "Filariasis", "C", False),
    ("C10", "其他感染性腹泻病", "Other infectious diarrhoea", "C", False),
    ("C11", "手足口病", "Hand, foot and mouth disease", "C", False),
)
IDR_DISEASE = vs("idr_disease", "中华人民共和国传染病防治法", [(c, zh, en) for c, zh, en, _k, _a in IDR_DISEASES])
DISEASE_CLASS = {c: k for c, _zh, _en, k, _a in IDR_DISEASES}
MANAGED_AS_A = frozenset(c for c, _zh, _en, _k, a in IDR_DISEASES if a)

IDR_CLASS = vs("idr_class", "中华人民共和国传染病防治法", [
    ("A", "甲类", "Class A"), ("B", "乙类", "Class B"), ("C", "丙类", "Class C"),
])

IDR_CASE_TYPE = vs("idr_case_type", "传染病报告卡", [
    ("1", "疑似病例", "Suspected case"),
    ("2", "临床诊断病例", "Clinically diagnosed case"),
    ("3", "确诊病例", "Confirmed case"),
    ("4", "病原携带者", "Pathogen carrier"),
])

IDR_STATUS = vs("idr_status", "jkda", [
    ("1", "有效", "Valid"),
    ("2", "已订正", "Revised"),
    ("3", "已删除", "Cancelled"),
])
VALID, REVISED, CANCELLED = "1", "2", "3"

SUP_KIND = vs("sup_kind", STANDARD, [
    ("1", "食源性疾病及食品安全", "Food-borne disease and food safety"),
    ("2", "饮用水卫生安全", "Drinking water safety"),
    ("3", "学校卫生", "School health"),
    ("4", "非法行医和非法采供血", "Illegal medical practice and blood collection"),
    ("5", "计划生育", "Family planning"),
    ("6", "职业卫生", "Occupational health"),
    ("9", "其他", "Other"),
])

register(HE_ACTIVITY_KIND, HE_MATERIAL_FORM, HE_AUDIENCE, IDR_DISEASE, IDR_CLASS, IDR_CASE_TYPE, IDR_STATUS, SUP_KIND)
