"""Value sets of the programs core: how a patient enters and leaves a program, and how a reminder call went."""

from jkda.codes.valuesets import register, vs

ENROL_SOURCE = vs("enrol_source", "jkda", [
    ("1", "档案诊断", "Diagnosis on the record"),
    ("2", "门诊新发现", "Found at a clinic visit"),
    ("3", "筛查发现", "Found by screening"),
    ("4", "转入", "Transferred in"),
    ("9", "其他", "Other"),
])

EXIT_REASON = vs("program_exit_reason", "jkda", [
    ("1", "死亡", "Death"),
    ("2", "迁出", "Moved away"),
    ("3", "治愈", "Cured"),
    ("4", "转出", "Transferred"),
    ("5", "失访", "Lost to follow-up"),
    ("6", "排除诊断", "Diagnosis excluded"),
    ("7", "管理结束", "Management completed"),
    ("9", "其他", "Other"),
])

CALL_OUTCOME = vs("call_outcome", "jkda", [
    ("1", "已联系，将按时来", "Reached: will come"),
    ("2", "已联系，另约时间", "Reached: new appointment"),
    ("3", "已联系，拒绝", "Reached: refused"),
    ("4", "无人接听", "No answer"),
    ("5", "号码错误", "Wrong number"),
    ("6", "已迁出或死亡", "Moved away or died"),
    ("9", "其他", "Other"),
])

register(ENROL_SOURCE, EXIT_REASON, CALL_OUTCOME)
