"""System administrators maintain divisions, institutions, staff and population base data here."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Division, Institution, PopulationBase, Staff


class NoDeleteAdmin(admin.ModelAdmin):
    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Division)
class DivisionAdmin(NoDeleteAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)


@admin.register(Institution)
class InstitutionAdmin(NoDeleteAdmin):
    list_display = ("code", "name", "kind", "parent", "division", "active")
    list_filter = ("kind", "active")
    search_fields = ("code", "name")
    raw_id_fields = ("parent", "division", "successor")


@admin.register(PopulationBase)
class PopulationBaseAdmin(NoDeleteAdmin):
    list_display = ("institution", "year", "resident_population", "aged_65_plus", "aged_0_6", "live_births")
    list_filter = ("year",)
    search_fields = ("institution__name", "institution__code")
    raw_id_fields = ("institution",)


@admin.register(Staff)
class StaffAdmin(UserAdmin):
    list_display = ("username", "full_name", "role", "institution", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("username", "full_name")
    raw_id_fields = ("institution",)
    fieldsets = (*UserAdmin.fieldsets, (_("Institution and role"), {"fields": ("institution", "role", "full_name",
                                                                            "phone")}))

    def has_delete_permission(self, request, obj=None):
        return False
