"""Value sets of the encounter, consultation and two-way referral records."""

from jkda.codes.valuesets import register, vs

VISIT_TYPE = vs("clinical_visit_type", "jkda", [
    ("1", "初诊", "First visit"),
    ("2", "复诊", "Return visit"),
    ("3", "急诊", "Emergency"),
    ("4", "出诊（上门）", "Home visit"),
    ("9", "其他", "Other"),
])

URGENCY = vs("clinical_referral_urgency", "jkda", [
    ("1", "一般", "Routine"),
    ("2", "紧急", "Urgent"),
    ("3", "危急", "Emergency"),
])

REFERRAL_STATUS = vs("clinical_referral_status", "jkda", [
    ("sent", "已转出", "Sent"),
    ("received", "已接收", "Received"),
    ("refused", "已拒收", "Refused"),
    ("returned", "已回转", "Returned"),
])

register(VISIT_TYPE, URGENCY, REFERRAL_STATUS)
