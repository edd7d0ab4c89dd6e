"""Value sets of the elderly forms: self-care assessment (老年人生活自理能力评估表) and TCM constitution record
(老年人中医药健康管理服务记录表)."""

from __future__ import annotations

from jkda.codes.valuesets import register, vs

SELFCARE_ITEM_LEVEL = vs("elderly_selfcare_item", "老年人生活自理能力评估表", [
    ("1", "可自理", "Independent"), ("2", "轻度依赖", "Mildly dependent"), ("3", "中度依赖", "Moderately dependent"),
    ("4", "不能自理", "Dependent"),
])

TCM_RESULT = vs("elderly_tcm_result", "老年人中医药健康管理服务记录表", [
    ("1", "是", "Yes"), ("2", "倾向是", "Tending"), ("3", "否", "No"),
])

TCM_BALANCED_RESULT = vs("elderly_tcm_balanced", "老年人中医药健康管理服务记录表", [
    ("1", "是", "Yes"), ("2", "基本是", "Basically yes"), ("3", "否", "No"),
])

TCM_GUIDANCE = vs("elderly_tcm_guidance", "老年人中医药健康管理服务记录表", [
    ("1", "情志调摄", "Emotional regulation"), ("2", "饮食调养", "Dietary care"), ("3", "起居调摄", "Daily routine"),
    ("4", "运动保健", "Exercise"), ("5", "穴位保健", "Acupoint care"), ("6", "其他", "Other"),
])

register(SELFCARE_ITEM_LEVEL, TCM_RESULT, TCM_BALANCED_RESULT, TCM_GUIDANCE)
