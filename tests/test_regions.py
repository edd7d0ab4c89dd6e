"""Divisions, institutions, their hierarchy, staff and population base data."""

import pytest
from django.core.exceptions import ValidationError

from jkda.regions.models import Division, Institution, PopulationBase


def test_hierarchy_paths(city):
    assert city.station.path.startswith(city.centre.path)
    assert city.centre.path.startswith(city.bureau.path)
    ids = set(city.centre.subtree().values_list("id", flat=True))
    assert ids == {city.centre.id, city.station.id}


def test_reparenting_moves_the_subtree(city):
    other = Institution.objects.create(code="C002", name="越溪社区卫生服务中心", kind="chc",
                                       division=city.street, parent=city.bureau)
    city.station.parent = other
    city.station.save()
    city.station.refresh_from_db()
    assert city.station.path == f"{other.path}{city.station.pk}/"


def test_station_reports_to_a_centre_only(city):
    bad = Institution(code="S999", name="错站", kind="chs", division=city.v1, parent=city.bureau)
    with pytest.raises(ValidationError) as exc:
        bad.full_clean()
    assert "parent" in exc.value.error_dict


def test_division_codes_have_their_lengths(city):
    with pytest.raises(ValidationError):
        Division(code="3205060010", name="错", level="village", parent=city.street).full_clean()
    with pytest.raises(ValidationError):
        Division(code="320507001001", name="错", level="village", parent=city.street).full_clean()


def test_population_base_is_one_row_per_year_and_checked(city):
    PopulationBase.objects.create(institution=city.centre, year=2026, resident_population=50000, aged_65_plus=7000,
                                  aged_0_6=3000, aged_0_36_months=1500, live_births=400, est_hypertension=9000,
                                  est_diabetes=4000, registered_smi=200)
    with pytest.raises(ValidationError):
        PopulationBase(institution=city.centre, year=2026, resident_population=1).full_clean()
    with pytest.raises(ValidationError) as exc:
        PopulationBase(institution=city.centre, year=2025, resident_population=100, aged_65_plus=200).full_clean()
    assert "aged_65_plus" in exc.value.error_dict


def test_institutions_and_staff_are_never_deleted(city):
    with pytest.raises(ValidationError):
        city.station.delete()
    with pytest.raises(ValidationError):
        city.doctor.delete()
