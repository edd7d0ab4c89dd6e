"""National value sets, declared once as data.

Each value set is a list of (code, Chinese label, English label). The Chinese label is the one printed on the
national forms; the English one is shown when the UI runs in English. Model fields name their value set
(`CodeField(valueset=SEX)`) and forms, API schemas, import and export derive their choices from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import get_language


@dataclass(frozen=True)
class ValueSet:
    name: str
    standard: str
    entries: tuple[tuple[str, str, str], ...]
    # For multi-valued sets: the code that means "none" and excludes every other code.
    none_code: str | None = None
    _index: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        for code, zh, en in self.entries:
            self._index[code] = (zh, en)

    @property
    def codes(self) -> list[str]:
        return [code for code, _zh, _en in self.entries]

    def __contains__(self, code: object) -> bool:
        return code in self._index

    def label(self, code: str | None, lang: str | None = None) -> str:
        if code is None or code == "":
            return ""
        if code not in self._index:
            return str(code)
        zh, en = self._index[code]
        lang = lang or get_language() or "zh-hans"
        return en if lang.startswith("en") else zh

    def choices(self) -> list[tuple[str, str]]:
        """Django choices in the active language (pass the bound method: fields evaluate it lazily)."""
        return [(code, self.label(code)) for code in self.codes]

    def lookup(self, text: str) -> str | None:
        """Map a code or either label (as found in an imported file) to the code."""
        text = (text or "").strip()
        if text in self._index:
            return text
        if text.isdigit() and text.zfill(2) in self._index:
            return text.zfill(2)
        if text.isdigit() and text.lstrip("0") in self._index:
            return text.lstrip("0")
        for code, zh, en in self.entries:
            if text == zh or text.lower() == en.lower():
                return code
        return None


def vs(name, standard, rows, none_code=None) -> ValueSet:
    return ValueSet(name=name, standard=standard, entries=tuple(rows), none_code=none_code)


SEX = vs("sex", "GB/T 2261.1-2003", [
    ("0", "未知的性别", "Unknown"),
    ("1", "男", "Male"),
    ("2", "女", "Female"),
    ("9", "未说明的性别", "Unstated"),
])

_ETHNIC = (
    "汉族 Han|蒙古族 Mongol|回族 Hui|藏族 Tibetan|维吾尔族 Uyghur|苗族 Miao|彝族 Yi|壮族 Zhuang|布依族 Bouyei|"
    "朝鲜族 Korean|满族 Manchu|侗族 Dong|瑶族 Yao|白族 Bai|土家族 Tujia|哈尼族 Hani|哈萨克族 Kazakh|傣族 Dai|"
    "黎族 Li|傈僳族 Lisu|佤族 Va|畲族 She|高山族 Gaoshan|拉祜族 Lahu|水族 Shui|东乡族 Dongxiang|纳西族 Nakhi|"
    "景颇族 Jingpo|柯尔克孜族 Kyrgyz|土族 Tu|达斡尔族 Daur|仫佬族 Mulao|羌族 Qiang|布朗族 Blang|撒拉族 Salar|"
    "毛南族 Maonan|仡佬族 Gelao|锡伯族 Xibe|阿昌族 Achang|普米族 Pumi|塔吉克族 Tajik|怒族 Nu|乌孜别克族 Uzbek|"
    "俄罗斯族 Russian|鄂温克族 Evenki|德昂族 De'ang|保安族 Bonan|裕固族 Yugur|京族 Gin|塔塔尔族 Tatar|"
    "独龙族 Derung|鄂伦春族 Oroqen|赫哲族 Hezhen|门巴族 Monba|珞巴族 Lhoba|基诺族 Jino"
)
ETHNICITY = vs("ethnicity", "GB 3304-1991", [
    *[(f"{i:02d}", pair.split(" ", 1)[0], pair.split(" ", 1)[1]) for i, pair in enumerate(_ETHNIC.split("|"), 1)],
    ("97", "其他未识别民族", "Other unidentified"),
    ("98", "外国血统中国籍人士", "Chinese citizen of foreign origin"),
])

RESIDENCE_TYPE = vs("residence_type", "WS 364", [
    ("1", "户籍", "Registered (hukou)"),
    ("2", "非户籍", "Non-registered"),
])

ABO = vs("abo", "WS 364.7", [
    ("1", "A型", "A"), ("2", "B型", "B"), ("3", "O型", "O"), ("4", "AB型", "AB"), ("5", "不详", "Unknown"),
])

RH = vs("rh", "WS 364.7", [("1", "阴性", "Negative"), ("2", "阳性", "Positive"), ("3", "不详", "Unknown")])

EDUCATION = vs("education", "GB/T 4658 (form grouping)", [
    ("1", "研究生", "Postgraduate"),
    ("2", "大学本科", "Bachelor"),
    ("3", "大学专科和专科学校", "College"),
    ("4", "中等专业学校", "Secondary specialised school"),
    ("5", "技工学校", "Technical school"),
    ("6", "高中", "Senior high school"),
    ("7", "初中", "Junior high school"),
    ("8", "小学", "Primary school"),
    ("9", "文盲或半文盲", "Illiterate or semi-literate"),
    ("10", "不详", "Unknown"),
])

OCCUPATION = vs("occupation", "GB/T 6565 (major groups)", [
    ("0", "国家机关、党群组织、企业、事业单位负责人", "Heads of government, party, enterprises, institutions"),
    ("1", "专业技术人员", "Professionals and technicians"),
    ("2", "办事人员和有关人员", "Clerks"),
    ("3", "商业、服务业人员", "Commerce and service workers"),
    ("4", "农、林、牧、渔、水利业生产人员", "Farming, forestry, animal husbandry, fishery, water conservancy"),
    ("5", "生产、运输设备操作人员及有关人员", "Production and transport equipment operators"),
    ("6", "军人", "Military"),
    ("7", "不便分类的其他从业人员", "Other workers not classified"),
    ("8", "无职业", "No occupation"),
])

MARITAL = vs("marital", "GB/T 2261.2", [
    ("1", "未婚", "Single"), ("2", "已婚", "Married"), ("3", "丧偶", "Widowed"), ("4", "离婚", "Divorced"),
    ("5", "未说明的婚姻状况", "Unstated"),
])

PAYMENT = vs("payment", "WS 364.5", [
    ("1", "城镇职工基本医疗保险", "Urban employee basic medical insurance"),
    ("2", "城镇居民基本医疗保险", "Urban resident basic medical insurance"),
    ("3", "新型农村合作医疗", "New rural cooperative medical scheme"),
    ("4", "贫困救助", "Poverty relief"),
    ("5", "商业医疗保险", "Commercial insurance"),
    ("6", "全公费", "Fully publicly funded"),
    ("7", "全自费", "Self-pay"),
    ("8", "其他", "Other"),
])

DRUG_ALLERGY = vs("drug_allergy", "WS 364", [
    ("1", "无", "None"), ("2", "青霉素", "Penicillin"), ("3", "磺胺", "Sulfonamides"),
    ("4", "链霉素", "Streptomycin"), ("5", "其他", "Other"),
], none_code="1")

EXPOSURE = vs("exposure", "WS 364", [
    ("1", "无", "None"), ("2", "化学品", "Chemicals"), ("3", "毒物", "Poisons"), ("4", "射线", "Radiation"),
], none_code="1")

PAST_DISEASE = vs("past_disease", "WS 364", [
    ("1", "无", "None"), ("2", "高血压", "Hypertension"), ("3", "糖尿病", "Diabetes"),
    ("4", "冠心病", "Coronary heart disease"), ("5", "慢性阻塞性肺疾病", "COPD"), ("6", "恶性肿瘤", "Cancer"),
    ("7", "脑卒中", "Stroke"), ("8", "严重精神障碍", "Severe mental disorder"), ("9", "结核病", "Tuberculosis"),
    ("10", "肝炎", "Hepatitis"), ("11", "其他法定传染病", "Other notifiable infectious disease"),
    ("12", "职业病", "Occupational disease"), ("13", "其他", "Other"),
], none_code="1")

FAMILY_DISEASE = vs("family_disease", "WS 364", [
    ("1", "无", "None"), ("2", "高血压", "Hypertension"), ("3", "糖尿病", "Diabetes"),
    ("4", "冠心病", "Coronary heart disease"), ("5", "慢性阻塞性肺疾病", "COPD"), ("6", "恶性肿瘤", "Cancer"),
    ("7", "脑卒中", "Stroke"), ("8", "严重精神障碍", "Severe mental disorder"), ("9", "结核病", "Tuberculosis"),
    ("10", "肝炎", "Hepatitis"), ("11", "先天畸形", "Congenital malformation"), ("12", "其他", "Other"),
], none_code="1")

FAMILY_MEMBER = vs("family_member", "form", [
    ("father", "父亲", "Father"), ("mother", "母亲", "Mother"),
    ("siblings", "兄弟姐妹", "Siblings"), ("children", "子女", "Children"),
])

DISABILITY = vs("disability", "GB/T 26341", [
    ("1", "无残疾", "None"), ("2", "视力残疾", "Visual"), ("3", "听力残疾", "Hearing"), ("4", "言语残疾", "Speech"),
    ("5", "肢体残疾", "Physical"), ("6", "智力残疾", "Intellectual"), ("7", "精神残疾", "Mental"),
    ("8", "其他残疾", "Other"),
], none_code="1")

KITCHEN_EXHAUST = vs("kitchen_exhaust", "form", [
    ("1", "无", "None"), ("2", "油烟机", "Range hood"), ("3", "换气扇", "Exhaust fan"), ("4", "烟囱", "Chimney"),
])
FUEL = vs("fuel", "form", [
    ("1", "液化气", "LPG"), ("2", "煤", "Coal"), ("3", "天然气", "Natural gas"), ("4", "沼气", "Biogas"),
    ("5", "柴火", "Firewood"), ("6", "其他", "Other"),
])
DRINKING_WATER = vs("drinking_water", "form", [
    ("1", "自来水", "Tap water"), ("2", "经净化过滤的水", "Purified water"), ("3", "井水", "Well water"),
    ("4", "河湖水", "River or lake"), ("5", "塘水", "Pond"), ("6", "其他", "Other"),
])
TOILET = vs("toilet", "form", [
    ("1", "卫生厕所", "Sanitary toilet"), ("2", "一格或二格粪池式", "One- or two-compartment pit"),
    ("3", "马桶", "Commode"), ("4", "露天粪坑", "Open pit"), ("5", "简易棚厕", "Simple shed latrine"),
])
LIVESTOCK_PEN = vs("livestock_pen", "form", [
    ("1", "无", "None"), ("2", "单设", "Separate"), ("3", "室内", "Indoors"), ("4", "室外", "Outdoors"),
])

RELATION_TO_HEAD = vs("relation_to_head", "GB/T 4761-2008", [
    ("02", "户主", "Head of household"), ("10", "配偶", "Spouse"), ("20", "子", "Son"), ("30", "女", "Daughter"),
    ("40", "孙子女或外孙子女", "Grandchild"), ("50", "父母", "Parent"), ("60", "祖父母或外祖父母", "Grandparent"),
    ("70", "兄弟姐妹", "Sibling"), ("80", "其他亲属", "Other relative"), ("99", "非亲属", "Non-relative"),
])

CLOSE_REASON = vs("close_reason", "jkda", [
    ("1", "死亡", "Death"), ("2", "迁出", "Moved away"), ("9", "其他", "Other"),
])

ALL = {v.name: v for v in [
    SEX, ETHNICITY, RESIDENCE_TYPE, ABO, RH, EDUCATION, OCCUPATION, MARITAL, PAYMENT, DRUG_ALLERGY, EXPOSURE,
    PAST_DISEASE, FAMILY_DISEASE, FAMILY_MEMBER, DISABILITY, KITCHEN_EXHAUST, FUEL, DRINKING_WATER, TOILET,
    LIVESTOCK_PEN, RELATION_TO_HEAD, CLOSE_REASON,
]}


def register(*valuesets: ValueSet) -> None:
    """Add value sets declared elsewhere (a program's own codes) to ALL, which fields and migrations name them by.

    A name may be registered again only for the same value set."""
    for v in valuesets:
        if ALL.get(v.name, v) != v:
            raise ValueError(f"value set name {v.name!r} is already taken")
        ALL[v.name] = v
