"""Bulk import (jkda import institutions|population|residents FILE): validation, reports, idempotence, resume."""

from __future__ import annotations

import collections
import csv
import datetime as dt
import io
import multiprocessing
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils.translation import gettext, override
from hypothesis import given
from hypothesis import strategies as st

from jkda.codes import idnumber
from jkda.exchange import fastsql
from jkda.exchange.basedata import InstitutionImport, PopulationImport
from jkda.exchange.columns import resident_columns
from jkda.exchange.report import REPORT_HEADERS, tqdm_progress
from jkda.exchange.residents import CELL_SEP, ResidentImport, cells_of, pack_cells
from jkda.exchange.sources import open_table
from jkda.records import actions
from jkda.records.models import NumberCounter, Record, RecordEvent, Resident
from jkda.regions.models import Division, Institution, PopulationBase

from .conftest import make_id

DATA = Path(__file__).parent / "data"
HEADER = ["姓名", "身份证号", "现住址", "常住类型", "联系电话", "医疗费用支付方式", "药物过敏史",
          "管理机构编码", "村居编码"]


def row(name="张三", id_number=None, **over):
    values = {
        "姓名": name, "身份证号": make_id() if id_number is None else id_number, "现住址": "苏州市吴中区新家路1号",
        "常住类型": "户籍", "联系电话": "13912345678", "医疗费用支付方式": "2", "药物过敏史": "无",
        "管理机构编码": "C001", "村居编码": "320506001001",
    }
    values.update(over)
    return values


def write_csv(path: Path, rows: list[dict], header=None, encoding="utf-8") -> Path:
    header = header or list(dict.fromkeys(k for r in rows for k in r)) or HEADER
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header])
    return path


def read_report(path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def residents(path, **kw):
    return ResidentImport(str(path), **kw).run()


def counts():
    return (Resident.objects.count(), Record.objects.count(), RecordEvent.objects.count(),
            Resident.history.count(), Record.history.count())


# --- residents: reading the file -----------------------------------------------------------------------------------

def test_chinese_headers_import_and_derive(city, tmp_path):
    src = shutil.copy(DATA / "residents_zh.csv", tmp_path / "r.csv")
    s = residents(src)
    assert (s.rows, s.imported, s.present, s.rejected) == (5, 5, 0, 0), s.lines()
    assert s.exit_code == 0 and s.report_path is None
    zhang = Resident.objects.get(name="张伟")
    assert zhang.sex == "1" and zhang.birth_date == dt.date(1955, 3, 8)  # derived from the ID number
    assert (zhang.residence_type, zhang.ethnicity, zhang.abo, zhang.payment, zhang.drug_allergy) == \
        ("1", "01", "1", ["1"], ["1"])
    assert zhang.past_diseases == [{"code": "2", "date": "2015-03"}]
    assert (zhang.name_pinyin, zhang.name_initials, zhang.id_last6) == ("zhangwei", "zw", zhang.id_number[-6:])
    rec = zhang.record
    assert rec.number == "32050600100100001" and rec.number_last8 == "00100001"
    assert rec.institution == city.centre and rec.village == city.v1 and rec.established_on == dt.date(2024, 5, 6)
    assert rec.responsible_doctor == city.doctor and rec.responsible_doctor_name == "王医生"
    li = Resident.objects.get(name="李娜")
    assert (li.sex, li.birth_date, li.abo, li.payment, li.drug_allergy) == \
        ("2", dt.date(1988, 11, 21), "3", ["2", "4"], ["2"])
    assert li.record.number == "32050600100100002" and li.record.established_on == dt.date(2024, 5, 7)
    wang = Resident.objects.get(name="王芳")
    assert (wang.ethnicity, wang.abo, wang.payment, wang.past_diseases) == ("03", "5", ["2", "4"], [{"code": "1"}])
    assert wang.record.institution == city.station and wang.record.responsible_doctor == city.station_doctor
    assert wang.record.established_on == dt.date.today() or wang.record.established_on
    zhao = Resident.objects.get(name="赵强")
    assert zhao.record.responsible_doctor == city.town_doctor  # a doctor of the institution it reports to
    assert zhao.record.number.startswith("320506101101")
    chen = Resident.objects.get(name="陈静")
    assert chen.id_number is None and chen.abo == "5" and chen.payment == ["7"]
    assert RecordEvent.objects.filter(kind="imported").count() == 5
    event = RecordEvent.objects.get(record=rec)
    assert event.to_institution == city.centre and "r.csv" in event.reason and event.actor is None
    assert Resident.history.filter(id=zhang.pk, history_type="+").count() == 1
    assert Record.history.filter(id=rec.pk, history_type="+").count() == 1
    assert NumberCounter.objects.get(pk="320506001001").last_serial == 3


def test_field_names_and_english_labels_as_headers(city, tmp_path):
    path = write_csv(tmp_path / "en.csv", [{
        "name": "钱七", "ID number": make_id(), "current address": "新家路3号", "residence_type": "Registered (hukou)",
        "ABO blood group": "ab", "payment": "1,2", "institution_code": "C001", "village_code": "320506001002",
    }])
    s = residents(path)
    assert s.imported == 1, s.lines()
    r = Resident.objects.get(name="钱七")
    assert (r.residence_type, r.abo, r.payment) == ("1", "4", ["1", "2"])


def test_gbk_file_is_detected(city, tmp_path):
    src = shutil.copy(DATA / "residents_gbk.csv", tmp_path / "gbk.csv")
    with pytest.raises(UnicodeDecodeError):
        Path(src).read_text(encoding="utf-8")
    s = residents(src)
    assert s.encoding == "gb18030" and s.imported == 5, s.lines()
    assert Resident.objects.filter(name="赵强", current_address="苏州市吴中区木渎镇金星村12号").exists()


def test_utf8_bom_is_accepted(city, tmp_path):
    path = write_csv(tmp_path / "bom.csv", [row("孙八")], encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    s = residents(path)
    assert s.imported == 1 and s.encoding == "utf-8-sig"


def test_undetectable_encoding_says_what_to_do(city, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("姓名,现住址\n".encode() + "Jos\xe9,Rua S\xe3o Paulo\n".encode("latin-1"))
    s = residents(path)
    assert s.exit_code == 2 and "--encoding" in s.stopped and "UTF-8" in s.stopped
    assert Resident.objects.count() == 0


def test_explicit_encoding(city, tmp_path):
    src = shutil.copy(DATA / "residents_gbk.csv", tmp_path / "gbk.csv")
    assert residents(src, encoding="gbk").imported == 5
    bad = residents(src, encoding="utf-8")
    assert bad.exit_code == 2 and "utf-8" in bad.stopped.lower()


def test_xlsx_with_excel_types(city, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "性别", "出生日期", "身份证号", "现住址", "常住类型", "本人电话", "管理机构编码", "村居编码",
               "建档日期"])
    ws.append(["周九", "女", dt.datetime(1975, 4, 3), idnumber.make("320505", dt.date(1975, 4, 3), 62), "新家路5号",
               1, 13900001111, "C001", "320506001001", dt.date(2024, 2, 1)])
    ws.append(["吴十", 1, 19800101, idnumber.make("320505", dt.date(1980, 1, 1), 71), "新家路6号", "户籍", None,
               "C001", 320506001001, 45000])  # 45000: an Excel serial date (2023-03-15)
    ws.append([None] * 10)  # a blank row: skipped, still counted in the row numbers
    ws.append(["郑十一", "男", "1970-01-01", "3.20506E+17", "新家路7号", "户籍", None, "C001", "320506001001", None])
    path = tmp_path / "r.xlsx"
    wb.save(path)
    s = residents(path)
    assert (s.imported, s.rejected) == (2, 1), s.lines()
    zhou = Resident.objects.get(name="周九")
    assert zhou.birth_date == dt.date(1975, 4, 3) and zhou.phone == "13900001111" and zhou.residence_type == "1"
    wu = Resident.objects.get(name="吴十")
    assert wu.birth_date == dt.date(1980, 1, 1) and wu.record.established_on == dt.date(2023, 3, 15)
    (bad,) = read_report(s.report_path)
    assert bad["行号"] == "5" and bad["列"].startswith("身份证号")  # row numbers as Excel shows them


def test_empty_file(city, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    s = residents(path)
    assert s.exit_code == 2 and "empty" in s.stopped.lower() or "空" in s.stopped
    path.write_text("\n\n", encoding="utf-8")
    assert residents(path).exit_code == 2


def test_header_only_file_imports_nothing(city, tmp_path):
    path = write_csv(tmp_path / "h.csv", [], header=HEADER)
    s = residents(path)
    assert (s.rows, s.imported, s.exit_code) == (0, 0, 0)


def test_malformed_csv_stops_cleanly(city, tmp_path):
    good = [row(f"甲{i}") for i in range(3)]
    path = write_csv(tmp_path / "m.csv", good)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('乙,"unterminated,新家路,户籍\n')
    s = residents(path, chunk_size=2)
    assert s.exit_code == 2 and "5" in s.stopped  # the broken row's number
    assert s.rows == 3 and Resident.objects.count() == 3  # the rows before it were imported


def test_row_with_extra_cells_is_rejected(city, tmp_path):
    path = write_csv(tmp_path / "x.csv", [row("丙")])
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"丁,{make_id()},苏州市,吴中区新家路,1,13912345678,2,1,C001,320506001001\n")
    s = residents(path)
    assert (s.imported, s.rejected) == (1, 1)
    (bad,) = read_report(s.report_path)
    assert bad["行号"] == "3" and "320506001001" in bad["原因"]


def test_not_a_csv_file(city, tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"\x00\x01\x02binary\x00")
    assert residents(path).exit_code == 2
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    s = residents(old)
    assert s.exit_code == 2 and ".xlsx" in s.stopped
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    assert residents(broken).exit_code == 2
    assert residents(tmp_path / "missing.csv").exit_code == 2


def test_missing_required_columns(city, tmp_path):
    path = write_csv(tmp_path / "m.csv", [{"姓名": "戊", "现住址": "新家路"}])
    s = residents(path)
    assert s.exit_code == 2
    for text in ("常住类型", "管理机构", "村", "性别", "出生日期"):
        assert text in s.stopped
    assert Resident.objects.count() == 0


def test_two_headers_for_one_column(city, tmp_path):
    path = write_csv(tmp_path / "d.csv", [row("己")], header=[*HEADER, "本人电话"])
    s = residents(path)
    assert s.exit_code == 2 and "联系电话" in s.stopped and "本人电话" in s.stopped


# --- residents: rows refused -----------------------------------------------------------------------------------

def test_unknown_code_rejects_the_row_with_row_column_reason(city, tmp_path):
    rows = [row("甲"), row("乙", 常住类型="暂住"), row("丙", 医疗费用支付方式="2;99"), row("丁")]
    path = write_csv(tmp_path / "codes.csv", rows)
    s = residents(path)
    assert (s.rows, s.imported, s.rejected, s.exit_code) == (4, 2, 2, 1)
    assert s.report_path == str(tmp_path / "codes.rejected.csv")
    report = read_report(s.report_path)
    assert list(report[0]) == [*HEADER, *REPORT_HEADERS]
    assert [r["行号"] for r in report] == ["3", "4"]
    assert report[0]["列"] == "常住类型" and "暂住" in report[0]["原因"]
    assert report[1]["列"] == "医疗费用支付方式" and "99" in report[1]["原因"]
    assert report[0]["姓名"] == "乙" and report[0]["身份证号"] == rows[1]["身份证号"]


def test_rejected_rows_report_can_be_fixed_and_reimported(city, tmp_path):
    path = write_csv(tmp_path / "f.csv", [row("甲"), row("乙", 常住类型="暂住")])
    s = residents(path)
    assert s.rejected == 1
    report = Path(s.report_path)
    text = report.read_text(encoding="utf-8-sig").replace("暂住", "非户籍")
    report.write_text(text, encoding="utf-8-sig")
    again = residents(report)
    assert (again.imported, again.rejected, again.ignored_columns) == (1, 0, [])
    assert Resident.objects.get(name="乙").residence_type == "2"
    # the first file, imported once more: the fixed row is there now
    final = residents(path)
    assert (final.imported, final.present, final.rejected) == (0, 1, 1)


def test_messages_are_those_of_the_web_form(city, tmp_path):
    forms = pytest.importorskip("jkda.records.forms")
    rows = [row("甲", 常住类型="9"), row("乙", 现住址=""), row("丙" * 51), row("丁", 联系电话="123")]
    path = write_csv(tmp_path / "w.csv", rows)
    report = read_report(residents(path).report_path)
    web = forms.ResidentForm(data={"name": "丙" * 51, "residence_type": "9", "current_address": "", "phone": "123",
                                   "ethnicity": "01", "abo": "5", "rh": "3", "id_number": make_id()})
    assert not web.is_valid()
    assert web.errors["residence_type"][0] in report[0]["原因"]
    assert report[1]["原因"] == web.errors["current_address"][0]
    assert report[2]["原因"] == web.errors["name"][0]
    assert report[3]["原因"] == web.errors["phone"][0]


def test_future_birth_date(city, tmp_path):
    future = dt.date.today() + dt.timedelta(days=30)
    path = write_csv(tmp_path / "fb.csv", [
        {**row("甲", id_number=""), "性别": "男", "出生日期": future.isoformat()},
        {**row("乙"), "性别": "", "出生日期": "1960-13-01"},
    ])
    s = residents(path)
    assert s.rejected == 2
    first, second = read_report(s.report_path)
    assert first["列"] == "出生日期" and first["原因"] == gettext("The birth date cannot be in the future.")
    assert second["列"] == "出生日期"


def test_wrong_id_check_digit(city, tmp_path):
    good = make_id()
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    path = write_csv(tmp_path / "id.csv", [row("甲", id_number=wrong)])
    s = residents(path)
    (bad,) = read_report(s.report_path)
    assert bad["列"].split("、")[0] == "身份证号" and good[17] in bad["原因"]


def test_birth_date_must_match_id_number(city, tmp_path):
    path = write_csv(tmp_path / "bm.csv", [{**row("甲", id_number=make_id(birth=dt.date(1960, 5, 17))),
                                             "出生日期": "1961-05-17", "性别": "女"}])
    (bad,) = read_report(residents(path).report_path)
    assert bad["列"] == "出生日期、性别"
    assert "1961-05-17" in bad["原因"] and "出生日期：" in bad["原因"] and "性别：" in bad["原因"]


def test_unknown_institution_and_village(city, tmp_path):
    path = write_csv(tmp_path / "iv.csv", [
        row("甲", 管理机构编码="NOPE"), row("乙", 村居编码="320506001999"), row("丙", 村居编码="320506001"),
        row("丁", 管理机构编码="B320506"),
    ])
    s = residents(path)
    assert s.rejected == 4
    a, b, c, d = read_report(s.report_path)
    assert a["列"] == "管理机构编码" and "NOPE" in a["原因"]
    assert b["列"] == "村居编码" and "320506001999" in b["原因"]
    assert c["列"] == "村居编码" and "12" in c["原因"]
    assert d["列"] == "管理机构编码"


def test_duplicate_in_file_points_at_first_row(city, tmp_path):
    same = make_id()
    path = write_csv(tmp_path / "dup.csv", [row("甲", id_number=same), row("乙"), row("甲", id_number=same)])
    s = residents(path, chunk_size=1)  # the two rows land in different chunks
    assert (s.imported, s.rejected) == (2, 1)
    (bad,) = read_report(s.report_path)
    assert bad["行号"] == "4" and bad["列"] == "身份证号" and "2" in bad["原因"]


def test_duplicate_without_id_number_points_at_first_row(city, tmp_path):
    person = {**row("甲", id_number=""), "性别": "男", "出生日期": "1950-01-01"}
    path = write_csv(tmp_path / "dup2.csv", [person, row("乙"), dict(person)])
    s = residents(path)
    assert (s.imported, s.rejected) == (2, 1)
    assert read_report(s.report_path)[0]["行号"] == "4"
    again = residents(path)
    assert (again.imported, again.present, again.rejected) == (0, 2, 1)


def test_id_number_of_another_person_in_database(city, establish, tmp_path):
    existing = establish(name="原有人")
    path = write_csv(tmp_path / "other.csv", [row("别人", id_number=existing.resident.id_number)])
    s = residents(path)
    (bad,) = read_report(s.report_path)
    assert bad["列"] == "身份证号" and existing.number in bad["原因"]
    assert Resident.objects.count() == 1


def test_same_person_established_by_hand_counts_as_present(city, establish, tmp_path):
    existing = establish(name="张三")
    path = write_csv(tmp_path / "same.csv", [row("张三", id_number=existing.resident.id_number)])
    s = residents(path)
    assert (s.imported, s.present, s.rejected, s.exit_code) == (0, 1, 0, 0)


@pytest.mark.parametrize("full_name", ["李医生", "O'Neil 100%s %% 李"])
def test_actor_jurisdiction(city, tmp_path, full_name):
    """The actor's name is the same on every record of the import (written as an SQL literal): quotes and percent
    signs arrive as they are."""
    city.station_doctor.full_name = full_name
    city.station_doctor.save()
    path = write_csv(tmp_path / "j.csv", [row("甲"), row("乙", 管理机构编码="S001")])
    s = residents(path, actor=city.station_doctor)
    assert (s.imported, s.rejected) == (1, 1)
    (bad,) = read_report(s.report_path)
    assert bad["姓名"] == "甲" and bad["列"] == "管理机构编码"
    rec = Record.objects.get(resident__name="乙")
    assert rec.established_by == city.station_doctor and rec.established_by_name == full_name
    assert RecordEvent.objects.get(record=rec).actor == city.station_doctor
    assert Record.history.get(id=rec.pk).history_user == city.station_doctor
    assert Resident.history.get(id=rec.resident_id).history_user == city.station_doctor


def test_repeatable_items_and_family_history(city, tmp_path):
    path = write_csv(tmp_path / "items.csv", [
        {**row("甲"), "既往史": "高血压 2015-03；脑卒中 2019/7", "手术史": "阑尾切除 2010-05-01",
         "家族史": "父亲:高血压、糖尿病；母亲:无"},
        {**row("乙"), "既往史": "癌症 2015-03"},
        {**row("丙"), "手术史": "阑尾切除"},
    ])
    s = residents(path)
    assert (s.imported, s.rejected) == (1, 2)
    r = Resident.objects.get(name="甲")
    assert r.past_diseases == [{"code": "2", "date": "2015-03"}, {"code": "7", "date": "2019-07"}]
    assert r.operations == [{"name": "阑尾切除", "date": "2010-05-01"}]
    assert r.family_history == {"father": ["2", "3"], "mother": ["1"]}
    second, third = read_report(s.report_path)
    assert second["列"] == "既往史" and "癌症" in second["原因"]
    assert third["列"] == "既往史：手术" or third["列"] == "手术史"


# --- idempotence, dry run, resume ----------------------------------------------------------------------------------

def test_reimport_adds_nothing(city, tmp_path):
    src = shutil.copy(DATA / "residents_zh.csv", tmp_path / "r.csv")
    first = residents(src)
    before = counts()
    numbers = set(Record.objects.values_list("number", flat=True))
    again = residents(src)
    assert (again.imported, again.present, again.rejected, again.exit_code) == (0, 5, 0, 0)
    assert counts() == before and set(Record.objects.values_list("number", flat=True)) == numbers
    assert first.imported == 5


def test_dry_run_writes_nothing(city, tmp_path):
    path = write_csv(tmp_path / "dry.csv", [row("甲"), row("乙", 常住类型="x"), row("丙")])
    s = residents(path, dry_run=True)
    assert (s.imported, s.rejected, s.dry_run) == (2, 1, True)
    assert counts() == (0, 0, 0, 0, 0) and NumberCounter.objects.count() == 0
    assert Path(s.report_path).exists()  # the report is the point of a dry run


@pytest.mark.django_db(transaction=True)
def test_kill_between_chunks_leaves_whole_chunks_and_rerun_completes(city, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "kill.csv", [row(f"人{i}") for i in range(10)])
    calls = {"n": 0}
    real_write = ResidentImport.write

    def dying_write(self, rows):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # the process is killed while writing the third chunk
        return real_write(self, rows)

    monkeypatch.setattr(ResidentImport, "write", dying_write)
    with pytest.raises(KeyboardInterrupt):
        residents(path, chunk_size=3)
    assert Resident.objects.count() == Record.objects.count() == RecordEvent.objects.count() == 6
    monkeypatch.setattr(ResidentImport, "write", real_write)
    s = residents(path, chunk_size=3)
    assert (s.imported, s.present, s.rejected) == (4, 6, 0)
    assert counts() == (10, 10, 10, 10, 10)
    numbers = sorted(Record.objects.values_list("number", flat=True))
    assert numbers == [f"320506001001{i:05d}" for i in range(1, 11)]


# the statements that write a chunk: on SQLite residents, records, the stage, resident history, record history,
# events; on PostgreSQL one COPY each for residents, their history, records, their history and events
WRITE_STEPS = 6 if connection.vendor == "sqlite" else 5


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("step", range(1, WRITE_STEPS + 1))
def test_kill_inside_a_chunk_leaves_no_half_imported_resident(city, tmp_path, monkeypatch, step):
    """Killed at each statement of the second chunk's writing: only the first chunk is there, whole (history and
    events included), and a rerun completes the file."""
    import jkda.exchange.residents as module

    path = write_csv(tmp_path / "kill2.csv", [row(f"人{i}") for i in range(6)])
    calls = {"n": 0}
    real = {"insert": fastsql._Inserter.insert, "fill": module.Stage.fill, "select": module.insert_select,
            "copy": module.copy_lines}

    def dying(name):
        def call(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == WRITE_STEPS + step:
                raise KeyboardInterrupt
            return real[name](*args, **kwargs)
        return call

    monkeypatch.setattr(fastsql._Inserter, "insert", dying("insert"))
    monkeypatch.setattr(module.Stage, "fill", dying("fill"))
    monkeypatch.setattr(module, "insert_select", dying("select"))
    monkeypatch.setattr(module, "copy_lines", dying("copy"))
    with pytest.raises(KeyboardInterrupt):
        residents(path, chunk_size=3)
    assert calls["n"] == WRITE_STEPS + step
    assert counts() == (3, 3, 3, 3, 3)
    assert not Resident.objects.filter(record__isnull=True).exists()
    assert NumberCounter.objects.get(pk="320506001001").last_serial == 3
    monkeypatch.undo()
    s = residents(path, chunk_size=3)
    assert (s.imported, s.present) == (3, 3) and counts() == (6, 6, 6, 6, 6)
    assert sorted(Record.history.values_list("number", flat=True)) == sorted(
        Record.objects.values_list("number", flat=True))


def test_legacy_numbers_kept_and_counter_advanced(city, tmp_path):
    path = write_csv(tmp_path / "legacy.csv", [
        {**row("甲"), "档案编号": ""},
        {**row("乙"), "档案编号": "32050600100100007"},
        {**row("丙"), "档案编号": ""},
        {**row("丁"), "档案编号": "3205060010010042"},  # 16 digits, the older scheme: kept as it is
        {**row("戊"), "档案编号": "32050600100100120"},  # further down the file than numbers allocated above
        {**row("己", id_number=""), "性别": "女", "出生日期": "1970-01-01", "档案编号": "32050600100200003"},
        {**row("庚"), "档案编号": "123"},
        {**row("辛"), "档案编号": "32050600100100007"},
    ])
    s = residents(path, chunk_size=2)
    assert (s.imported, s.rejected) == (6, 2), s.lines()
    by_name = dict(Record.objects.values_list("resident__name", "number"))
    assert by_name["乙"] == "32050600100100007" and by_name["丁"] == "3205060010010042"
    assert by_name["戊"] == "32050600100100120" and by_name["己"] == "32050600100200003"
    # numbers allocated go past every legacy number of the file
    assert by_name["甲"] == "32050600100100121" and by_name["丙"] == "32050600100100122"
    assert NumberCounter.objects.get(pk="320506001001").last_serial == 122
    assert NumberCounter.objects.get(pk="320506001002").last_serial == 3
    bad = read_report(s.report_path)
    assert [b["姓名"] for b in bad] == ["庚", "辛"]
    assert "17" in bad[0]["原因"] and "3" in bad[1]["原因"]  # the 17-digit rule; the row holding the number
    again = residents(path)
    assert (again.imported, again.present) == (0, 6)
    rec = actions.establish_record(None, Resident(name="新人", current_address="x", residence_type="1",
                                                  id_number=make_id()), institution=city.centre, village=city.v1)
    assert rec.number == "32050600100100123"


def test_legacy_number_only_key(city, tmp_path):
    person = {**row("甲", id_number=""), "性别": "男", "出生日期": "1950-01-01", "档案编号": "32050600100100050"}
    other = {**row("乙", id_number=""), "性别": "女", "出生日期": "1951-01-01", "档案编号": "32050600100100050"}
    path = write_csv(tmp_path / "n.csv", [person])
    assert residents(path).imported == 1
    assert residents(path).present == 1
    s = residents(write_csv(tmp_path / "n2.csv", [other]))
    assert s.rejected == 1 and "32050600100100050" in read_report(s.report_path)[0]["原因"]


def test_backslashes_tabs_and_line_breaks_are_stored_as_written(city, tmp_path):
    """Cells holding what COPY's text format must escape (PostgreSQL writes through it), in a file whose name holds
    them too: every table stores exactly what the file says, the history and the event included."""
    tricky = {"现住址": "新家路9号\\B座\t2楼", "工作单位": "\\N", "联系人姓名": "张\r\n三", "责任医生": "李\\四\t医生"}
    path = write_csv(tmp_path / "名单\\2024\t.csv", [row("王\\五", **tricky), row("赵六")])
    s = residents(path)
    assert s.imported == 2, s.lines()
    r = Resident.objects.get(name="王\\五")
    assert (r.current_address, r.work_unit, r.contact_name) == ("新家路9号\\B座\t2楼", "\\N", "张\r\n三")
    assert r.record.responsible_doctor_name == "李\\四\t医生" and r.record.resident_name == "王\\五"
    assert Resident.objects.get(name="赵六").work_unit == ""
    why = gettext("Imported from %(file)s, row %(row)d") % {"file": "名单\\2024\t.csv", "row": 2}
    h = Resident.history.get(id=r.pk)
    assert (h.current_address, h.work_unit, h.history_change_reason) == (r.current_address, "\\N", why[:100])
    assert Record.history.get(id=r.record.pk).responsible_doctor_name == "李\\四\t医生"
    assert RecordEvent.objects.get(record=r.record).reason == why


# --- the fast path against the reference ---------------------------------------------------------------------------

@pytest.mark.parametrize("narrow", [True, False], ids=["varying-columns", "whole-rows"])
def test_fast_path_writes_what_establish_record_writes(city, tmp_path, monkeypatch, narrow):
    """The same resident, record, history and event as the web form's path; rows carry only the columns that vary
    (the rest are written as literals), and a row whose other columns are not what was expected after all (here:
    the columns validation derives, not declared as varying) is written whole, with the same result."""
    import jkda.exchange.residents as module

    if not narrow:
        monkeypatch.setattr(module, "DERIVED_FIELDS", ())
        real_write = ResidentImport.write

        def write(self, rows):  # every row is written from all its own values (on PostgreSQL: as COPY text)
            assert rows and all(p.res_full for p in rows)
            return real_write(self, rows)

        monkeypatch.setattr(ResidentImport, "write", write)
    data = {
        "name": "欧阳修", "id_number": make_id(birth=dt.date(1947, 8, 1)), "current_address": "新家路9号",
        "registered_address": "户籍路1号", "phone": "0512-65432100", "residence_type": "2", "ethnicity": "02",
        "abo": "4", "rh": "2", "education": "6", "occupation": "3", "marital_status": "2", "payment": ["1", "5"],
        "drug_allergy": ["2", "5"], "drug_allergy_other": "头孢", "exposure": ["1"], "disability": ["1"],
        "past_diseases": [{"code": "2", "date": "2015-03"}], "family_history": {"father": ["2"]},
        "fuel": "3", "toilet": "1", "work_unit": "苏州某厂", "contact_name": "欧阳某", "contact_phone": "13800001234",
    }
    ref = actions.establish_record(None, Resident(**data), institution=city.centre, village=city.v1,
                                   established_on=dt.date(2024, 1, 2))
    cols = resident_columns()
    with override("zh-hans"):
        header = [cols[n].label for n in data] + ["管理机构编码", "村居编码", "建档日期"]
    cells = [";".join(v) if isinstance(v, list) and v and isinstance(v[0], str) else v for v in data.values()]
    cells[list(data).index("past_diseases")] = "高血压 2015-03"
    cells[list(data).index("family_history")] = "父亲:高血压"
    cells[list(data).index("id_number")] = make_id(birth=dt.date(1947, 8, 1))
    path = tmp_path / "ref.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerow([*cells, "C001", "320506001001", "2024-01-02"])
    s = residents(path)
    assert s.imported == 1, s.lines()
    fast = Record.objects.exclude(pk=ref.pk).get()
    skip_res = {"id", "id_number", "id_last6", "updated_at"}
    for f in Resident._meta.concrete_fields:
        if f.attname not in skip_res:
            assert getattr(fast.resident, f.attname) == getattr(ref.resident, f.attname), f.name
    skip_rec = {"id", "number", "number_last8", "resident_id"}
    for f in Record._meta.concrete_fields:
        if f.attname not in skip_rec:
            assert getattr(fast, f.attname) == getattr(ref, f.attname), f.name
    assert fast.number_last8 == fast.number[-8:] and fast.resident.id_last6 == fast.resident.id_number[-6:]
    hist = Resident.history.filter(id=fast.resident_id).get()
    assert hist.history_type == "+" and hist.name == "欧阳修" and hist.payment == ["1", "5"]
    assert Record.history.filter(id=fast.pk).get().number == fast.number
    # the historical rows written by INSERT ... SELECT hold what django-simple-history wrote for the reference
    event = RecordEvent.objects.get(record=fast)
    for live, model in ((fast.resident, Resident), (fast, Record)):
        h = model.history.get(id=live.pk)
        ref_h = model.history.get(id=(ref.resident if model is Resident else ref).pk)
        for f in model.history.model._meta.concrete_fields:
            if f.attname in ("history_id", "history_date", "history_change_reason"):
                continue
            if hasattr(live, f.attname):
                assert getattr(h, f.attname) == getattr(live, f.attname), f.name
                if f.attname not in skip_res | skip_rec:
                    assert getattr(h, f.attname) == getattr(ref_h, f.attname), f.name
            else:
                assert getattr(h, f.attname) == getattr(ref_h, f.attname), f.name
        assert "ref.csv" in h.history_change_reason and h.history_change_reason == event.reason
        assert h.history_date == event.at
    # the time of writing: on SQLite a literal of the statement, on PostgreSQL a column of every row
    assert fast.resident.updated_at == event.at and event.at > ref.resident.updated_at
    assert (event.kind, event.actor_id, event.from_institution_id, event.to_institution, event.changes) == \
        ("imported", None, None, city.centre, {})
    assert "ref.csv" in event.reason and "2" in event.reason
    # stored the same way in the database, not just equal after loading
    with connection.cursor() as c:
        c.execute("SELECT payment, family_history, birth_date FROM records_resident ORDER BY id")
        stored_ref, stored_fast = c.fetchall()
    assert stored_ref == stored_fast


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_validation_workers_give_the_same_result(city, tmp_path, monkeypatch):
    rows = [row(f"人{i}") for i in range(30)] + [row("坏", 常住类型="x"), row("人0", id_number="")]
    path = write_csv(tmp_path / "w.csv", rows)
    monkeypatch.setattr(ResidentImport, "BLOCK", 4)
    s = ResidentImport(str(path), workers=2, chunk_size=7).run()
    assert (s.imported, s.rejected) == (30, 2), s.lines()
    assert [r["行号"] for r in read_report(s.report_path)] == ["32", "33"]
    assert sorted(Record.objects.values_list("number", flat=True))[-1] == "32050600100100030"


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
@pytest.mark.parametrize(("workers", "block", "good"), [(1, 2, 7), (2, 2, 7), (2, 3, 6), (2, 4, 3)])
def test_validation_workers_stop_where_the_file_breaks(city, tmp_path, monkeypatch, workers, block, good):
    """Workers read the file themselves: a break in it ends the import after the rows before it, as without workers,
    wherever the break falls among the workers' blocks; the progress bar still reaches the end."""
    path = write_csv(tmp_path / "m.csv", [row(f"甲{i}") for i in range(good)])
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('乙,"unterminated,新家路,户籍\n')
    monkeypatch.setattr(ResidentImport, "BLOCK", block)
    seen = []

    def factory(table):
        bar = tqdm_progress("residents", io.StringIO())(table)
        real_update = bar.update
        bar.update = lambda n: (seen.append(n), real_update(n))[1]
        return bar

    s = residents(path, chunk_size=2, workers=workers, progress=factory)
    assert s.exit_code == 2 and str(good + 2) in s.stopped, s.lines()
    assert s.rows == good and Resident.objects.count() == good and counts() == (good,) * 5
    assert sum(seen) > 0


@given(st.lists(st.one_of(st.text(alphabet=st.sampled_from("甲a,;\x1f\n\"'")), st.integers(), st.none(),
                          st.dates()), max_size=8))
def test_a_valid_rows_cells_come_back_as_they_were(cells):
    """A worker packs a valid row's cells into one string when it can; the writer gets the same cells back."""
    packed = pack_cells(cells)
    assert cells_of(packed) == cells
    if cells and all(isinstance(c, str) and CELL_SEP not in c for c in cells):
        assert isinstance(packed, str)


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_a_row_refused_when_written_keeps_its_cells_in_the_report(city, establish, tmp_path, monkeypatch):
    """A row valid in a worker but refused by the writer (its ID number belongs to someone else in the database) is
    reported with the cells of the file, as the worker read them."""
    existing = establish(name="张三")
    rows = [row(f"人{i}") for i in range(5)] + [row("李四", id_number=existing.resident.id_number, 现住址="甲,乙\"路")]
    path = write_csv(tmp_path / "w.csv", rows)
    monkeypatch.setattr(ResidentImport, "BLOCK", 2)
    s = residents(path, chunk_size=3, workers=1)
    assert (s.imported, s.rejected) == (5, 1), s.lines()
    (bad,) = read_report(s.report_path)
    assert (bad["行号"], bad["姓名"], bad["身份证号"], bad["现住址"]) == (
        "7", "李四", existing.resident.id_number, '甲,乙"路')


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pipe sizes are Linux's")
def test_a_workers_pipe_holds_a_whole_block_and_a_narrow_one_still_works(city, tmp_path, monkeypatch):
    """A validated block (about 250 KB pickled) fits a worker's pipe in one write; where the pipe cannot be widened
    the import gives the same result."""
    import fcntl

    from jkda import pipeline

    q = multiprocessing.get_context("fork").Queue()
    pipeline.widen_pipe(q)
    assert fcntl.fcntl(q._writer.fileno(), fcntl.F_GETPIPE_SZ) >= pipeline.PIPE_BYTES
    q.close()

    def refuse(*_a):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(fcntl, "fcntl", refuse)
    path = write_csv(tmp_path / "p.csv", [row(f"丁{i}") for i in range(9)])
    monkeypatch.setattr(ResidentImport, "BLOCK", 2)
    s = residents(path, chunk_size=3, workers=1)
    assert s.imported == 9 and counts() == (9,) * 5


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_a_failing_validation_worker_stops_the_import_cleanly(city, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "f.csv", [row(f"甲{i}") for i in range(9)])
    real = ResidentImport.validate

    def validate(self, number, cells):
        if number == 8:
            raise MemoryError("no more")
        return real(self, number, cells)

    monkeypatch.setattr(ResidentImport, "validate", validate)
    monkeypatch.setattr(ResidentImport, "BLOCK", 2)
    s = residents(path, chunk_size=2, workers=2)
    assert s.exit_code == 2 and "MemoryError" in s.stopped
    assert counts() == (6, 6, 6, 6, 6)  # the rows of the blocks before the failing one, whole
    monkeypatch.setattr(ResidentImport, "validate", real)
    again = residents(path, chunk_size=2, workers=2)
    assert (again.imported, again.present) == (3, 6) and counts() == (9,) * 5


def test_the_collector_is_paused_while_importing_and_restored_after(city, tmp_path, monkeypatch):
    """The automatic garbage collector stays off during an import (it cost the writer a third of its time), but
    cyclic garbage made while importing is collected between chunks, not only at the end; afterwards the collector
    is as before and nothing stays frozen."""
    import gc
    import weakref

    path = write_csv(tmp_path / "gc.csv", [row(f"丙{i}") for i in range(8)])
    real = ResidentImport.validate
    freed, seen = [], []

    class Node:
        pass

    def validate(self, number, cells):
        seen.append((number, gc.isenabled(), len(freed)))
        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle: only the collector frees it
        weakref.finalize(a, freed.append, number)
        return real(self, number, cells)

    monkeypatch.setattr(ResidentImport, "validate", validate)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    s = residents(path, chunk_size=2, workers=0)
    assert s.imported == 8 and counts() == (8,) * 5
    assert not any(enabled for _n, enabled, _f in seen)
    assert seen[-1][2] >= 4  # by the last row, the cycles of the chunks written before it were freed
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        residents(path, chunk_size=2, workers=0)
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()


# --- the command ---------------------------------------------------------------------------------------------------

def test_command_exit_codes_and_summary(city, tmp_path):
    ok = shutil.copy(DATA / "residents_zh.csv", tmp_path / "ok.csv")
    out = io.StringIO()
    call_command("import", "residents", str(ok), stdout=out)
    assert "5" in out.getvalue()
    bad = write_csv(tmp_path / "bad.csv", [row("甲", 常住类型="x")])
    report = tmp_path / "out" / "report.csv"
    with pytest.raises(CommandError) as exc:
        call_command("import", "residents", str(bad), "--report", str(report), stdout=io.StringIO())
    assert exc.value.returncode == 1 and report.exists()
    with pytest.raises(CommandError) as exc:
        call_command("import", "residents", str(tmp_path / "none.csv"), stdout=io.StringIO())
    assert exc.value.returncode == 2
    with pytest.raises(CommandError) as exc:
        call_command("import", "residents", str(ok), "--actor", "nobody", stdout=io.StringIO())
    assert exc.value.returncode == 2
    out = io.StringIO()
    call_command("import", "residents", str(ok), "--dry-run", "--chunk-size", "2",
                 stdout=out)
    assert Resident.objects.count() == 5
    with pytest.raises(CommandError) as exc:  # the centre's doctor may not establish records for the township
        call_command("import", "residents", str(ok), "--actor", "doctor", "--dry-run", stdout=io.StringIO())
    assert exc.value.returncode == 1


def test_old_report_removed_when_nothing_is_rejected(city, tmp_path):
    path = write_csv(tmp_path / "o.csv", [row("甲", 常住类型="x")])
    s = residents(path)
    assert Path(s.report_path).exists()
    write_csv(path, [row("甲")])
    s = residents(path)
    assert s.report_path is None and not (tmp_path / "o.rejected.csv").exists() and s.notes


# --- institutions and population ------------------------------------------------------------------------------

def test_institutions_upsert(city, tmp_path):
    src = shutil.copy(DATA / "institutions.csv", tmp_path / "inst.csv")
    s = InstitutionImport(str(src)).run()
    assert (s.imported, s.updated, s.present, s.rejected) == (3, 0, 0, 0), s.lines()
    centre = Institution.objects.get(code="C201")
    assert centre.kind == "chc" and centre.parent == city.bureau and centre.phone == "0512-66881234"
    assert centre.division.code == "320506201" and centre.division.level == "township"
    assert centre.division.parent == city.county
    station = Institution.objects.get(code="S201")
    assert station.parent == centre and station.division.parent == centre.division
    assert station.path == f"{city.bureau.path}{centre.pk}/{station.pk}/"
    assert Institution.objects.get(code="V202").division.level == "village"
    again = InstitutionImport(str(src)).run()
    assert (again.imported, again.updated, again.present) == (0, 0, 3)
    text = Path(src).read_text(encoding="utf-8-sig").replace("0512-66881234", "0512-66880000")
    Path(src).write_text(text, encoding="utf-8-sig")
    changed = InstitutionImport(str(src)).run()
    assert (changed.imported, changed.updated, changed.present) == (0, 1, 2)
    assert Institution.objects.get(code="C201").phone == "0512-66880000"


def test_institutions_rejected_rows(city, tmp_path):
    path = write_csv(tmp_path / "bad_inst.csv", [
        {"机构编码": "X1", "机构名称": "某医院", "类别": "医院", "区划编码": "320506"},
        {"机构编码": "X2", "机构名称": "某站", "类别": "chs", "上级机构编码": "B320506", "区划编码": "320506"},
        {"机构编码": "X3", "机构名称": "某站", "类别": "chs", "上级机构编码": "NOPE", "区划编码": "320506"},
        {"机构编码": "X4", "机构名称": "某村", "类别": "vc", "区划编码": "320599001001", "区划名称": "某村"},
        {"机构编码": "X5", "机构名称": "某站", "类别": "chs", "区划编码": "320506777"},
        {"机构编码": "X6", "机构名称": "某中心", "类别": "chc", "上级机构编码": "B320506", "区划编码": "320506"},
        {"机构编码": "X6", "机构名称": "重复", "类别": "chc", "区划编码": "320506"},
    ])
    s = InstitutionImport(str(path)).run()
    assert (s.imported, s.rejected) == (1, 6), s.lines()
    report = {r["机构编码"] + r["机构名称"]: r for r in read_report(s.report_path)}
    assert report["X1某医院"]["列"] == "类别"
    assert report["X2某站"]["列"] == "上级机构编码"  # a station cannot report to a bureau
    assert "NOPE" in report["X3某站"]["原因"]
    assert "320599001" in report["X4某村"]["原因"]  # the parent division is missing
    assert report["X5某站"]["列"] == "区划编码"
    assert "7" in report["X6重复"]["原因"]


def test_institutions_dry_run(city, tmp_path):
    src = shutil.copy(DATA / "institutions.csv", tmp_path / "inst.csv")
    s = InstitutionImport(str(src), dry_run=True).run()
    assert s.imported == 3 and not Institution.objects.filter(code="C201").exists()
    assert not Division.objects.filter(code="320506201").exists()


def test_population_upsert(city, tmp_path):
    src = shutil.copy(DATA / "population.csv", tmp_path / "pop.csv")
    s = PopulationImport(str(src)).run()
    assert (s.imported, s.rejected) == (2, 0), s.lines()
    pop = PopulationBase.objects.get(institution=city.centre, year=2025)
    assert (pop.resident_population, pop.aged_65_plus, pop.aged_0_36_months) == (52000, 8100, 1500)
    again = PopulationImport(str(src)).run()
    assert (again.imported, again.updated, again.present) == (0, 0, 2)
    path = write_csv(tmp_path / "pop2.csv", [
        {"机构编码": "C001", "年度": "2025", "常住人口数": "53000"},
        {"机构编码": "C001", "年度": "2026", "常住人口数": "100", "65岁及以上人口数": "200"},
        {"机构编码": "C001", "年度": "1999", "常住人口数": "100"},
        {"机构编码": "NOPE", "年度": "2025", "常住人口数": "100"},
        {"机构编码": "T101", "年度": "2025", "常住人口数": "-5"},
        {"机构编码": "C001", "年度": "2025", "常住人口数": "54000"},
        {"机构编码": "T101", "年度": "2026", "常住人口数": ""},
    ])
    s = PopulationImport(str(path)).run()
    assert (s.imported, s.updated, s.rejected) == (0, 1, 6), s.lines()
    pop.refresh_from_db()
    assert pop.resident_population == 53000 and pop.aged_65_plus == 8100  # columns not in the file are kept
    report = read_report(s.report_path)
    assert [r["列"] for r in report] == ["65岁及以上人口数", "年度", "机构编码", "常住人口数", "年度", "常住人口数"]


def test_population_missing_column(city, tmp_path):
    path = write_csv(tmp_path / "p.csv", [{"机构编码": "C001", "常住人口数": "5"}])
    s = PopulationImport(str(path)).run()
    assert s.exit_code == 2 and "年度" in s.stopped


def test_utf16_tab_separated_file(city, tmp_path):
    """Excel's “Unicode text” export: UTF-16 with a BOM, tab-separated."""
    path = tmp_path / "unicode.txt"
    lines = ["\t".join(HEADER), "\t".join(row("褚十二").values())]
    path.write_bytes("\r\n".join(lines).encode("utf-16"))
    s = residents(path)
    assert (s.imported, s.encoding) == (1, "utf-16"), s.lines()


def test_docs_name_every_column():
    from jkda.exchange.columns import institution_columns, population_columns

    text = (Path(__file__).parent.parent / "docs" / "import.md").read_text(encoding="utf-8")
    with override("zh-hans"):
        for cols in (resident_columns(), institution_columns(), population_columns()):
            for col in cols:
                assert f"| {col.label} | `{col.name}`" in text, col.name


def test_allocation_skips_numbers_already_used(city, establish, tmp_path):
    first = establish()
    assert first.number == "32050600100100001"
    NumberCounter.objects.filter(pk="320506001001").update(last_serial=0)  # a counter behind its numbers
    s = residents(write_csv(tmp_path / "clash.csv", [row("甲"), row("乙")]))
    assert s.imported == 2
    assert sorted(Record.objects.values_list("number", flat=True)) == [
        "32050600100100001", "32050600100100002", "32050600100100003"]


def test_numbers_in_use_are_found_by_range_whatever_their_width(city, tmp_path):
    """The allocation looks numbers up by each village's range of serials: every number between the ends comes
    back, a 16-digit one sorting between them too (the allocation keeps only those of its pools)."""
    from jkda.exchange import residents as module

    legacy = ["32050600100100005", "32050600100100009", "3205060010010001", "3205060010010008",
              "32050600100100020", "32050600100200006"]
    s = residents(write_csv(tmp_path / "legacy.csv", [{**row(f"人{i}"), "档案编号": n} for i, n in enumerate(legacy)]))
    assert s.imported == 6
    ranges = [("32050600100100003", "32050600100100010"), ("32050600100200001", "32050600100200005")]
    numbers = set(Record.objects.values_list("number", flat=True))
    expect = {n for n in numbers for lo, hi in ranges if lo <= n <= hi}
    assert expect == {"32050600100100005", "32050600100100009", "3205060010010001"}
    assert module.numbers_in_ranges(ranges) == expect
    assert module.numbers_in_ranges(ranges, size=1) == expect and module.numbers_in_ranges([]) == set()


def test_progress_bar_follows_the_file(city, tmp_path):
    path = write_csv(tmp_path / "p.csv", [row(f"人{i}") for i in range(7)])
    stream = io.StringIO()
    seen = []

    def factory(table):
        bar = tqdm_progress("residents", stream)(table)
        real_update = bar.update
        bar.update = lambda n: (seen.append(n), real_update(n))[1]
        return bar

    s = residents(path, chunk_size=3, progress=factory)
    assert s.imported == 7 and sum(seen) == path.stat().st_size
    assert "residents" in stream.getvalue()


def test_utf8_file_with_a_stray_byte_is_not_read_as_gbk(city, tmp_path):
    path = write_csv(tmp_path / "damaged.csv", [row(f"人{i}") for i in range(30)])
    data = path.read_bytes()
    cut = data.index("人17".encode())
    path.write_bytes(data[:cut] + b"\xff" + data[cut:])
    s = residents(path)
    assert s.exit_code == 2 and "19" in s.stopped and "UTF-8" in s.stopped
    assert Resident.objects.count() == 0


def test_chunk_retried_when_someone_establishes_meanwhile(city, tmp_path, monkeypatch):
    """A unique-key clash in the middle of a chunk (a doctor establishing one of the file's residents at that
    moment) rolls the chunk back; it is classified again and written without the one now present."""
    from django.db import IntegrityError

    import jkda.exchange.residents as module

    same = make_id()
    path = write_csv(tmp_path / "race.csv", [row("甲"), row("张三", id_number=same), row("丙")])
    real_write = ResidentImport.write
    calls = {"n": 0}

    def racing_write(self, rows):
        calls["n"] += 1
        if calls["n"] == 1:
            raise IntegrityError("UNIQUE constraint failed: records_resident.id_number")
        return real_write(self, rows)

    monkeypatch.setattr(ResidentImport, "write", racing_write)
    monkeypatch.setattr(module.time, "sleep", lambda s: None)
    original_classify = ResidentImport.classify

    def classify(self, rows):
        if calls["n"] == 1 and not Resident.objects.filter(id_number=same).exists():
            actions.establish_record(None, Resident(name="张三", current_address="x", residence_type="1",
                                                    id_number=same), institution=city.centre, village=city.v1)
        return original_classify(self, rows)

    monkeypatch.setattr(ResidentImport, "classify", classify)
    s = residents(path)
    assert (s.imported, s.present, s.rejected) == (2, 1, 0) and calls["n"] == 2
    assert Resident.objects.count() == 3


@pytest.mark.parametrize("same_name", [True, False], ids=["same-person", "other-name"])
def test_someone_establishing_a_person_of_the_file_during_an_import_into_an_empty_database(
        city, tmp_path, monkeypatch, same_name):
    """Into a database empty when it began, the import leaves ID numbers to the unique index instead of looking
    them up; a person someone else establishes meanwhile makes the chunk clash, and it is classified again with the
    look-ups: the row is already present (same name) or refused with a pointer (another name), the rest imported."""
    people = [row(f"人{i}", id_number=make_id()) for i in range(4)]
    path = write_csv(tmp_path / "race.csv", people)
    real_flush = ResidentImport.flush
    flushed = {"n": 0}

    def flush(self, rows, rejected):
        real_flush(self, rows, rejected)
        flushed["n"] += 1
        if flushed["n"] == 1:  # between the first chunk and the second: someone establishes row 3's person
            actions.establish_record(city.doctor, Resident(
                name="人2" if same_name else "别人", id_number=people[2]["身份证号"], current_address="x",
                residence_type="1"), institution=city.centre, village=city.v1)

    monkeypatch.setattr(ResidentImport, "flush", flush)
    s = residents(path, chunk_size=2)
    if same_name:
        assert (s.imported, s.present, s.rejected) == (3, 1, 0), s.lines()
    else:
        assert (s.imported, s.present, s.rejected) == (3, 0, 1), s.lines()
        problem = read_report(s.report_path)[0]
        other = Resident.objects.get(name="别人").record
        assert (problem["行号"], problem["列"]) == ("4", "身份证号")
        assert other.number in problem["原因"] and "别人" in problem["原因"]
    assert Resident.objects.count() == 4 and Record.objects.count() == 4
    assert sorted(Resident.objects.values_list("name", flat=True)) == sorted(
        ["人0", "人1", "人3", "人2" if same_name else "别人"])
    assert RecordEvent.objects.filter(kind="imported").count() == 3


@pytest.mark.parametrize("args", [
    ["residents", "{missing}"],
    ["residents", "{data}/residents_zh.csv"],  # a database nobody migrated
    ["residents", "{data}/residents_zh.csv", "--actor", "x"],
    ["institutions", "{data}/residents_zh.csv"],  # the wrong kind of file: columns missing
])
def test_console_script_never_shows_a_traceback(tmp_path, args):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}", "JKDA_VAR_DIR": str(tmp_path)}
    argv = [a.format(missing=tmp_path / "none.csv", data=DATA) for a in args]
    out = subprocess.run([sys.executable, "-m", "jkda.cli", "import", *argv], capture_output=True, text=True,
                         timeout=120, env=env, cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr and "CommandError" in out.stderr


@pytest.mark.parametrize("memo_size", [2000, 2])
def test_repeated_texts_parse_alike_on_every_row(city, tmp_path, monkeypatch, memo_size):
    """Each column remembers the value (or the problem) of a text it has parsed; a column of mostly distinct texts
    stops remembering. Either way every row gets its own value and its own message."""
    monkeypatch.setattr(ResidentImport, "MEMO_SIZE", memo_size)
    monkeypatch.setattr(ResidentImport, "DATE_MEMO_SIZE", memo_size)
    rows = []
    for i in range(6):
        rows.append(row(f"甲{i}", 医疗费用支付方式="1;2", 药物过敏史="青霉素" if i % 2 else "无",
                        建档日期=f"2024-0{1 + i % 3}-15"))
        rows.append(row(f"乙{i}", 常住类型="外地"))
        rows.append(row(f"丙{i}", 建档日期="2099-01-01"))
    path = write_csv(tmp_path / "memo.csv", rows)
    s = residents(path)
    assert (s.imported, s.rejected) == (6, 12), s.lines()
    reasons = collections.Counter(r["原因"] for r in read_report(s.report_path))
    assert len(reasons) == 2 and all(n == 6 for n in reasons.values()), reasons
    assert any("外地" in r for r in reasons) and any("晚于今天" in r for r in reasons), reasons
    got = {r.name: (r.payment, r.drug_allergy) for r in Resident.objects.all()}
    assert got == {f"甲{i}": (["1", "2"], ["2"] if i % 2 else ["1"]) for i in range(6)}
    established = dict(Record.objects.values_list("resident__name", "established_on"))
    assert established == {f"甲{i}": dt.date(2024, 1 + i % 3, 15) for i in range(6)}


def test_date_columns_remember_more_texts_than_the_others(city, tmp_path):
    """Birth dates spread over a century: a date column remembers up to DATE_MEMO_SIZE texts, any other column
    MEMO_SIZE; the record's cover columns are looked up on the record (established_on is a date)."""
    number = idnumber.make("320506", dt.date(1950, 3, 1), 11)
    path = write_csv(tmp_path / "m.csv", [row("甲", number, 出生日期="1950-03-01", 建档日期="2024-01-02")])
    imp = ResidentImport(str(path), workers=0)
    table = open_table(str(path))
    try:
        imp._prepare(table)
    finally:
        table.close()
    limits = {entry[1]: entry[5] for entry in imp._plan}
    assert limits["birth_date"] == limits["established_on"] == ResidentImport.DATE_MEMO_SIZE > 36_525
    assert limits["name"] == limits["institution_code"] == ResidentImport.MEMO_SIZE


def test_imported_history_is_the_start_of_the_record_history(city, tmp_path, client):
    """The set-based historical rows are ordinary django-simple-history rows: a later edit diffs against them, and
    the record page lists the import before the edit. The importing connection keeps no staging table."""
    from .test_web import html, login

    path = write_csv(tmp_path / "h.csv", [row("甲", 联系电话="13912345678")])
    residents(path, actor=city.doctor)
    rec = Record.objects.get()
    actions.update_resident(city.doctor, rec, {"phone": "13800000000"}, expected_version=rec.resident.version)
    first, latest = Resident.history.filter(id=rec.resident_id).order_by("history_id")
    assert (first.history_type, latest.history_type, first.history_user, first.phone) == \
        ("+", "~", city.doctor, "13912345678")
    assert [c.field for c in latest.diff_against(first).changes] == ["phone"]
    assert "h.csv" in first.history_change_reason and "2" in first.history_change_reason
    kinds = list(rec.events.order_by("at", "id").values_list("kind", flat=True))
    assert kinds == ["imported", "updated"]
    login(client, city.doctor)
    body = html(client.get(f"/records/{rec.number}/"))
    assert "h.csv" in body
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_temp_master WHERE name = 'jkda_import_stage'")
        else:
            cursor.execute("SELECT count(*) FROM pg_class WHERE relname = 'jkda_import_stage' AND relpersistence = 't'")
        assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_reason_names_the_file_and_the_row_whatever_the_file_is_called(city, tmp_path, language):
    """Each imported record's reason (event and both historical rows) names the file and the row, in the current
    language and in file order, for a file name with quotes, a percent sign and Chinese in it (cut at 60
    characters); the history's copy is cut at 100 characters."""
    name = "50%_o'neil \"居民\" " + "长" * 40 + ".csv"
    path = write_csv(tmp_path / name, [row("甲"), row("乙", id_number="", 性别="女", 出生日期="1970-01-01"), row("丙")])
    with override(language):
        s = residents(path, chunk_size=2)
        expected = [gettext("Imported from %(file)s, row %(row)d") % {"file": name[:60], "row": n} for n in (2, 3, 4)]
    assert (s.imported, s.rejected) == (3, 0), s.lines()
    events = list(RecordEvent.objects.order_by("id").values_list("reason", "record__resident__name",
                                                                 "to_institution_id", "record__institution_id"))
    assert [e[0] for e in events] == [e[:200] for e in expected]
    assert [e[1] for e in events] == ["甲", "乙", "丙"] and all(e[2] == e[3] == city.centre.pk for e in events)
    for history in (Resident.history, Record.history):
        assert list(history.order_by("history_id").values_list("history_change_reason", flat=True)) == [
            e[:100] for e in expected]


def test_workers_are_chosen_by_file_size_cores_database_and_dry_run(tmp_path, monkeypatch):
    """Without --workers a large file on two cores gets one validation worker on SQLite and two on PostgreSQL (whose
    writing process mostly waits for the server); a small file, one core or a dry run none; a file that cannot be
    read none (the import itself then says what is wrong with it)."""
    from django.db import connection

    from jkda.exchange import residents as module

    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    small.write_bytes(b"x" * 1000)
    large.write_bytes(b"x" * module.AUTO_WORKERS_MIN_BYTES)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    here = 2 if connection.vendor == "postgresql" else 1
    assert module.auto_workers(str(large)) == here
    assert module.auto_workers(str(large), vendor="sqlite") == 1
    assert module.auto_workers(str(large), vendor="postgresql") == 2
    assert module.auto_workers(str(small)) == 0 and module.auto_workers(str(small), vendor="postgresql") == 0
    assert module.auto_workers(str(large), dry_run=True) == 0
    assert module.auto_workers(str(tmp_path / "missing.csv")) == 0
    assert ResidentImport(str(large)).workers == here and ResidentImport(str(large), workers=0).workers == 0
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert module.auto_workers(str(large)) == 0 and module.auto_workers(str(large), vendor="postgresql") == 0


def test_checkpointer_copies_the_write_ahead_log_into_the_file(tmp_path):
    """The thread's PASSIVE checkpoint moves what was committed into the database file, the log staying put."""
    import sqlite3

    from jkda.exchange.residents import Checkpointer

    path = tmp_path / "wal.sqlite3"
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("CREATE TABLE t (x TEXT)")
    con.executemany("INSERT INTO t VALUES (?)", [("x" * 200,) for _ in range(5000)])
    before = path.stat().st_size
    assert before < 100_000 and (tmp_path / "wal.sqlite3-wal").stat().st_size > 1_000_000  # all of it in the log
    checkpointer = Checkpointer(str(path))
    checkpointer.poke()
    checkpointer.close()
    assert checkpointer.failed is None
    assert path.stat().st_size > 1_000_000
    busy, frames, copied = con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and frames == copied
    assert con.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 5000
    con.close()
    Checkpointer(str(path)).close()  # never woken: closes without a thread


def test_import_hands_checkpoints_to_its_thread_per_chunk_and_restores_the_setting(city, tmp_path, monkeypatch):
    """On SQLite, while the import's checkpointer runs, the import's own connection makes no automatic checkpoints;
    it is woken after each committed chunk, stopped at the end, and the connection's setting is what it was before.
    PostgreSQL has no write-ahead log to copy: no checkpointer."""
    from jkda.exchange import residents as module

    if connection.vendor != "sqlite":
        assert module.Checkpointer.start() is None
    seen = []

    class Recorder:
        failed = None

        def poke(self):
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_autocheckpoint")
                seen.append(("poke", cursor.fetchone()[0], Resident.objects.count()))

        def close(self):
            seen.append(("close",))

    monkeypatch.setattr(module.Checkpointer, "start", classmethod(lambda cls: Recorder()))
    path = write_csv(tmp_path / "c.csv", [row(f"甲{i}") for i in range(5)])
    if connection.vendor != "sqlite":
        assert residents(path, chunk_size=2, workers=0).imported == 5
        assert seen == []
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        setting = cursor.fetchone()[0]
    s = residents(path, chunk_size=2, workers=0)
    assert s.imported == 5
    assert seen == [("poke", 0, 2), ("poke", 0, 4), ("poke", 0, 5), ("close",)]
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == setting
    seen.clear()
    residents(path, dry_run=True, workers=0)
    assert seen == []  # a dry run writes nothing: no checkpointer


@pytest.mark.django_db
def test_import_checkpoints_itself_again_when_the_checkpointer_thread_fails(city, tmp_path, monkeypatch):
    """A checkpointer whose thread stopped (say its connection could not open) hands the checkpoints back to the
    import's own connection at the next chunk; the import goes on and imports everything."""
    from jkda.exchange import residents as module

    if connection.vendor != "sqlite":  # no checkpointer to fail: the import is the same
        assert residents(write_csv(tmp_path / "f.csv", [row("甲")]), workers=0).imported == 1
        return
    settings_seen = []

    class Failing:
        failed = None

        def poke(self):
            self.failed = "unable to open database file"

        def close(self):
            pass

    monkeypatch.setattr(module.Checkpointer, "start", classmethod(lambda cls: Failing()))
    monkeypatch.setattr(module.ResidentImport, "write", _recording_write(module.ResidentImport.write, settings_seen))
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        setting = cursor.fetchone()[0]
    s = residents(write_csv(tmp_path / "f.csv", [row(f"乙{i}") for i in range(5)]), chunk_size=2, workers=0)
    assert s.imported == 5
    assert settings_seen == [0, setting, setting]  # off for the first chunk, back on after the thread failed


def _recording_write(write, seen):
    def recording(self, rows):
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            seen.append(cursor.fetchone()[0])
        return write(self, rows)

    return recording
