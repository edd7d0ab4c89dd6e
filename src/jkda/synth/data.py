"""Tables the synthetic city is drawn from: places, names, the age pyramid and prevalences.

Everything here is plain data. The figures are plausible orders of magnitude for an eastern Chinese city
(China's 2020 census for the age pyramid and household sizes, national surveys for chronic-disease prevalence);
they are not statistics of any real place.
"""

from __future__ import annotations

# --- the city -------------------------------------------------------------------------------------------------
PROVINCE_CODE, PROVINCE_NAME = "320000", "江苏省"
CITY_CODE, CITY_NAME, CITY_SHORT = "320500", "苏州市", "苏州"
AREA_CODE = "0512"  # landline prefix

# County-level divisions (real GB/T 2260 codes that python-stdnum knows) with real street / town names where we
# have them; more are invented when a scenario asks for more.
COUNTIES: dict[str, dict] = {
    "320508": {"name": "姑苏区", "streets": ["平江街道", "沧浪街道", "金阊街道", "双塔街道", "虎丘街道", "白洋湾街道",
                                           "吴门桥街道", "苏锦街道"], "towns": []},
    "320505": {"name": "虎丘区", "streets": ["狮山街道", "枫桥街道", "横塘街道", "浒墅关街道"], "towns": ["通安镇"]},
    "320506": {"name": "吴中区", "streets": ["长桥街道", "越溪街道", "郭巷街道", "横泾街道"],
               "towns": ["木渎镇", "甪直镇", "胥口镇", "东山镇", "光福镇", "临湖镇"]},
    "320507": {"name": "相城区", "streets": ["元和街道", "太平街道", "北桥街道"],
               "towns": ["望亭镇", "黄埭镇", "渭塘镇", "阳澄湖镇"]},
    "320509": {"name": "吴江区", "streets": ["松陵街道", "江陵街道", "横扇街道"],
               "towns": ["同里镇", "平望镇", "盛泽镇", "七都镇", "震泽镇", "桃源镇", "黎里镇"]},
    "320581": {"name": "常熟市", "streets": ["虞山街道", "常福街道", "琴川街道", "莫城街道"],
               "towns": ["梅李镇", "海虞镇", "古里镇", "沙家浜镇", "支塘镇", "董浜镇", "尚湖镇"]},
    "320582": {"name": "张家港市", "streets": ["金港街道"],
               "towns": ["杨舍镇", "塘桥镇", "锦丰镇", "乐余镇", "凤凰镇", "南丰镇", "大新镇"]},
    "320583": {"name": "昆山市", "streets": ["玉山街道", "亭林街道"],
               "towns": ["巴城镇", "周市镇", "陆家镇", "花桥镇", "淀山湖镇", "张浦镇", "周庄镇", "千灯镇"]},
    "320585": {"name": "太仓市", "streets": ["娄东街道", "陆渡街道"],
               "towns": ["城厢镇", "沙溪镇", "浏河镇", "浮桥镇", "璜泾镇", "双凤镇"]},
}

# Address codes people of a county carry when their ID number was first issued before the present district was
# created: (issued before year, code). Checked in order; all are in stdnum's table.
HISTORICAL_CODES: dict[str, list[tuple[int, tuple[str, ...]]]] = {
    "320508": [(2012, ("320502", "320503", "320504"))],  # 沧浪区, 平江区, 金阊区 → 姑苏区
    "320509": [(1992, ("320525",)), (2012, ("320584",))],  # 吴江县 → 吴江市 → 吴江区
    "320506": [(1995, ("320524",)), (2001, ("320586",))],  # 吴县 → 吴县市 → 吴中区
    "320507": [(1995, ("320524",)), (2001, ("320586",))],  # 吴县 → 吴县市 → 相城区
    "320505": [(2000, ("320511",))],  # 郊区 → 虎丘区
    "320585": [(1993, ("320522",))],  # 太仓县 → 太仓市
}

# Where non-registered residents (流动人口) come from: province prefix → weight.
MIGRANT_PROVINCES = {
    "34": 26, "41": 14, "32": 14, "51": 8, "36": 6, "42": 6, "43": 5, "37": 5, "50": 3, "52": 3, "45": 2,
    "33": 3, "31": 1, "35": 1, "13": 1, "61": 1, "53": 1,
}

# --- place-name syllables ------------------------------------------------------------------------------------
PLACE_FIRST = "新龙金东西南北桂花平江长白青双荷湖枫桥塘竹凤兴和福华太永安康乐宝石山莲渔家田清里港泾溪浜翠盛丰秀"
PLACE_SECOND = "家泾桥塘港浜湾园苑庄墩里浦河山荡溪坊门亭湖田圩巷场"
ROAD_FIRST = "人民干将十全凤凰道前学士景德三香养育观前东环西环南环北环金鸡星湖苏州友新长江宝带石湖迎春"
ROAD_SUFFIX = ("路", "路", "路", "街", "巷", "大道")
INDUSTRIES = ("电子", "精密机械", "纺织", "物流", "科技", "建设工程", "医药", "食品", "丝绸", "光电", "汽车部件",
              "商贸")
PUBLIC_EMPLOYERS = ("区人民医院", "实验小学", "第一中学", "市政公用局", "供电公司", "税务局", "街道办事处", "农商银行",
                    "公交公司", "自来水公司")

# --- people --------------------------------------------------------------------------------------------------
# Surnames with their approximate national share (per mille); the local Wu surnames are weighted up.
SURNAMES = (
    "王71 李70 张67 刘54 陈45 杨31 黄22 赵20 吴20 周19 徐15 孙14 马13 朱13 胡12 郭12 何11 高10 林10 罗9 "
    "郑8 梁8 谢7 宋7 唐7 许6 韩6 冯6 邓6 曹6 彭6 曾6 肖5 田5 董5 袁5 潘5 于5 蒋5 蔡5 余5 杜5 叶4 程4 "
    "苏4 魏4 吕4 丁4 任4 沈4 姚4 卢4 姜3 崔3 钟3 谭3 陆3 汪3 范3 金3 石3 廖3 贾2 夏2 韦2 付2 方2 白2 "
    "邹2 孟2 熊2 秦2 邱2 江2 尹2 薛2 闫2 段2 雷1 侯1 龙1 史1 陶1 黎1 贺1 顾1 毛1 郝1 龚1 邵1 万1 钱1 "
    "严1 覃1 武1 戴1 莫1 孔1 向1 汤1 欧阳0.3 司马0.1 诸葛0.1 上官0.1"
)
LOCAL_SURNAME_BOOST = {"陆": 3.0, "顾": 4.0, "沈": 2.5, "钱": 4.0, "周": 1.5, "徐": 1.5, "朱": 1.5, "吴": 1.5,
                       "蒋": 1.5, "陶": 2.0, "费": 1.0, "浦": 1.0}

# Characters of given names by sex and birth cohort (born before 1960, 1960-79, 1980-99, 2000 on).
GIVEN_CHARS = {
    ("1", 0): "国建华明德志永福金林文荣根宝生兴富忠海平祥才泉发春贵庆昌寿和山成",
    ("1", 1): "建国军伟强明平勇华斌卫东峰刚辉杰波涛林海新文春志忠庆红",
    ("1", 2): "伟磊涛鹏超杰浩斌晨俊飞凯阳宇健鑫亮强帅龙博振洋旭帆锋敏",
    ("1", 3): "轩浩宇子梓睿泽辰宸博铭俊皓昊然奕煜霖逸航文一嘉哲翔铭沐",
    ("2", 0): "秀英兰珍凤芳桂玉梅金花琴素淑华娣妹云萍爱",
    ("2", 1): "红丽芳燕萍玲霞华静敏英艳琴慧娟梅莉云雪",
    ("2", 2): "婷静丹娜雪倩颖琳敏洁佳晶晓丽慧燕蕾璐莹",
    ("2", 3): "涵梓欣怡萱诗雨可悦馨琪思佳一依语若汐彤桐沫",
}
SINGLE_GIVEN_SHARE = (0.25, 0.3, 0.22, 0.1)  # by cohort: share of one-character given names

# China 2020 census, share of the population (%) by five-year age band 0-4 ... 95-99, 100+.
AGE_BANDS = (5.52, 6.39, 6.04, 5.15, 5.31, 6.51, 8.79, 7.01, 6.59, 8.09, 8.65, 7.18, 5.20, 5.24, 3.52, 2.21,
             1.45, 0.78, 0.26, 0.06, 0.01)
# Households are built around one person drawn from these weights (by the same bands); the others follow from
# family shapes. The weights were fitted (a few rounds of target / observed) so that all residents together
# follow AGE_BANDS to within about a tenth of a percentage point per band.
ANCHOR_BANDS = (5.709, 8.709, 8.542, 5.062, 3.677, 4.322, 8.749, 3.29, 3.613, 8.328, 11.778, 10.094, 6.985, 8.404,
                4.818, 2.697, 1.714, 0.963, 0.246, 0.072, 0.076)

# Chronic disease prevalence by age (lower bound of the band → share), and the share of patients whose disease
# is written in the record (awareness): hypertension 18-25% of adults overall, diabetes 8-10%.
HYPERTENSION_BY_AGE = ((18, 0.04), (35, 0.12), (45, 0.25), (55, 0.38), (65, 0.50), (75, 0.58))
DIABETES_BY_AGE = ((18, 0.02), (35, 0.05), (45, 0.10), (55, 0.15), (65, 0.19), (75, 0.20))
AWARENESS = 0.6
OTHER_DISEASES_65 = (("4", 0.06), ("7", 0.035), ("5", 0.035))  # coronary, stroke, COPD (65+)
OTHER_DISEASES_ADULT = (("6", 0.008), ("10", 0.01), ("9", 0.002), ("8", 0.004))  # cancer, hepatitis, TB, SMI

OPERATIONS = ("阑尾切除术", "胆囊切除术", "白内障手术", "疝修补术", "甲状腺部分切除术", "骨折内固定术", "扁桃体切除术")
OPERATIONS_FEMALE = ("剖宫产术", "子宫肌瘤剔除术")
INJURIES = ("右桡骨骨折", "左踝关节扭伤", "头皮裂伤", "肋骨骨折", "腰椎压缩性骨折")
TRANSFUSIONS = ("手术输血", "外伤输血", "产后出血输血")
OTHER_ALLERGIES = ("头孢类", "阿司匹林", "碘造影剂")
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                   "157", "158", "159", "177", "180", "181", "182", "186", "187", "188", "189", "191", "199")

# Minority ethnicities (GB 3304) and their weight among the ~1.5% non-Han residents.
MINORITIES = {"03": 25, "02": 8, "05": 4, "06": 10, "08": 15, "10": 6, "11": 12, "15": 12, "17": 4, "04": 4}

# Education by birth cohort for adults (code → weight); children follow their age.
EDUCATION_BY_COHORT = (
    (1990, {"1": 5, "2": 25, "3": 22, "4": 8, "5": 3, "6": 17, "7": 17, "8": 2, "9": 0.5, "10": 1}),
    (1970, {"1": 2, "2": 12, "3": 12, "4": 8, "5": 4, "6": 20, "7": 32, "8": 8, "9": 1, "10": 1}),
    (1950, {"2": 4, "3": 5, "4": 5, "5": 2, "6": 18, "7": 35, "8": 23, "9": 7, "10": 1}),
    (0, {"2": 1, "3": 2, "4": 3, "6": 8, "7": 15, "8": 35, "9": 35, "10": 1}),
)
OCCUPATION_URBAN = {"0": 3, "1": 15, "2": 12, "3": 25, "4": 2, "5": 20, "6": 0.5, "7": 8, "8": 14}
OCCUPATION_RURAL = {"0": 1, "1": 6, "2": 5, "3": 15, "4": 30, "5": 25, "7": 8, "8": 10}

# Living environment per household (urban / rural): code → weight.
ENV_URBAN = {
    "kitchen_exhaust": {"2": 85, "3": 13, "1": 2}, "fuel": {"3": 80, "1": 19, "6": 1},
    "drinking_water": {"1": 95, "2": 5}, "toilet": {"1": 60, "3": 40}, "livestock_pen": {"1": 100},
}
ENV_RURAL = {
    "kitchen_exhaust": {"2": 60, "3": 20, "4": 15, "1": 5}, "fuel": {"1": 50, "3": 30, "5": 15, "4": 5},
    "drinking_water": {"1": 90, "3": 8, "2": 2}, "toilet": {"1": 70, "2": 20, "3": 10},
    "livestock_pen": {"1": 75, "2": 10, "4": 15},
}

# Year a record was established (the national programme started in 2009; most records were made 2010-2013).
ESTABLISHED_YEAR_WEIGHTS = {2010: 16, 2011: 16, 2012: 12, 2013: 9, 2014: 6}
ESTABLISHED_LATER_WEIGHT = 4
