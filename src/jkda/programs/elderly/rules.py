"""Rules of the elderly forms: self-care score and band, TCM constitution raw sums and results, annual bundle.

Pure functions; the models call them in clean() and the tests call them table-driven."""

from __future__ import annotations

from decimal import Decimal

# 老年人生活自理能力评估表: score of each item by level (1 independent, 2 mild, 3 moderate, 4 dependent).
SELFCARE_SCORES: dict[str, tuple[int, int, int, int]] = {
    "eating": (0, 0, 3, 5),
    "grooming": (0, 1, 3, 7),
    "dressing": (0, 0, 3, 5),
    "toileting": (0, 1, 5, 10),
    "moving": (0, 1, 5, 10),
}
# Bands of the total (upper bound inclusive) → exam_selfcare_level code.
SELFCARE_BANDS = ((3, "1"), (8, "2"), (18, "3"))


def selfcare_item_score(item: str, level: str | int) -> int:
    return SELFCARE_SCORES[item][int(level) - 1]


def selfcare_total(levels: dict[str, str | int]) -> int:
    return sum(selfcare_item_score(item, levels[item]) for item in SELFCARE_SCORES)


def selfcare_band(total: int) -> str:
    """0–3 可自理 "1", 4–8 轻度依赖 "2", 9–18 中度依赖 "3", ≥ 19 不能自理 "4"."""
    for upper, code in SELFCARE_BANDS:
        if total <= upper:
            return code
    return "4"


# 中医体质辨识: the questions of each type (raw sums, 33-item elderly form).
TCM_TYPES: dict[str, tuple[int, ...]] = {
    "qi_deficiency": (2, 3, 4, 14),
    "yang_deficiency": (11, 12, 13, 29),
    "yin_deficiency": (10, 21, 26, 31),
    "phlegm_damp": (9, 16, 28, 32),
    "damp_heat": (23, 25, 27, 30),
    "blood_stasis": (19, 22, 24, 33),
    "qi_stagnation": (5, 6, 7, 8),
    "special": (15, 17, 18, 20),
    "balanced": (1, 2, 4, 5, 13),
}
TCM_REVERSED = (2, 4, 5, 13)  # reverse-scored (6 − score) for the balanced type only
TCM_QUESTIONS = 33
IMBALANCED = tuple(t for t in TCM_TYPES if t != "balanced")

YES, TENDING, NO = "1", "2", "3"  # elderly_tcm_result; for balanced: "1" yes, "2" basically yes, "3" no
STRENGTH = {NO: 0, TENDING: 1, YES: 2}


def tcm_sums(answers: dict[int, int]) -> dict[str, int]:
    """Raw sum per type from the 33 answers (1–5 each); balanced with its reverse-scored items."""
    missing = [q for q in range(1, TCM_QUESTIONS + 1) if answers.get(q) is None]
    if missing:
        raise ValueError(f"unanswered questions {missing}")
    out = {}
    for t, qs in TCM_TYPES.items():
        if t == "balanced":
            out[t] = sum(6 - answers[q] if q in TCM_REVERSED else answers[q] for q in qs)
        else:
            out[t] = sum(answers[q] for q in qs)
    return out


def imbalanced_result(total: int) -> str:
    """≥ 11 是, 9–10 倾向是, ≤ 8 否."""
    if total >= 11:
        return YES
    if total >= 9:
        return TENDING
    return NO


def balanced_result(total: int, others: list[int]) -> str:
    """≥ 17 and every other type ≤ 8 → 是; ≥ 17 and every other ≤ 10 → 基本是; else 否."""
    if total >= 17 and all(o <= 8 for o in others):
        return YES
    if total >= 17 and all(o <= 10 for o in others):
        return TENDING
    return NO


def tcm_results(answers: dict[int, int]) -> tuple[dict[str, int], dict[str, str]]:
    sums = tcm_sums(answers)
    results = {t: imbalanced_result(sums[t]) for t in IMBALANCED}
    results["balanced"] = balanced_result(sums["balanced"], [sums[t] for t in IMBALANCED])
    return sums, results


def positive_types(results: dict[str, str]) -> list[str]:
    return [t for t in TCM_TYPES if results.get(t) in (YES, TENDING)]


# The standard guidance for a positive type (情志调摄, 饮食调养, 起居调摄, 运动保健, 穴位保健).
DEFAULT_GUIDANCE = ["1", "2", "3", "4", "5"]


def q9_from_bmi(bmi) -> int | None:
    """Q9 (身体沉重) is anchored by BMI on the form: <24 → 1, 24–<25 → 2, 25–<26 → 3, 26–<28 → 4, ≥ 28 → 5."""
    if bmi is None:
        return None
    b = Decimal(str(bmi))
    for upper, score in ((24, 1), (25, 2), (26, 3), (28, 4)):
        if b < upper:
            return score
    return 5


def q28_from_waist(waist_cm) -> int | None:
    """Q28 (腹部肥大) is anchored by waist: <80 → 1, 80–85 → 2, 86–90 → 3, 91–105 → 4, > 105 → 5."""
    if waist_cm is None:
        return None
    w = Decimal(str(waist_cm))
    if w < 80:
        return 1
    for upper, score in ((Decimal("85.5"), 2), (Decimal("90.5"), 3), (Decimal("105.5"), 4)):
        if w < upper:
            return score
    return 5
