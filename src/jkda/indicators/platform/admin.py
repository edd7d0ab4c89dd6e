"""System administrators keep the catalogue (business functions, document subsets) here; each change is audited.
Registrations, uses and uploads are shown read-only: they change through the actions (`jkda import registrations|
usage|uploads`, the system's own calls), which check jurisdiction and write the audit trail."""

from django.contrib import admin
from django.forms.models import model_to_dict

from jkda.access import audit

from .models import BusinessFunction, DocumentSubset, PlatformDoctor, PlatformInstitution, UploadBatch, UsageEvent


class NoDeleteAdmin(admin.ModelAdmin):
    def has_delete_permission(self, request, obj=None):
        return False


class CatalogueAdmin(NoDeleteAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit.log("update" if change else "create", user=request.user, obj=obj, detail=model_to_dict(obj))


class ReadOnlyAdmin(NoDeleteAdmin):
    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(BusinessFunction)
class BusinessFunctionAdmin(CatalogueAdmin):
    list_display = ("code", "name", "order", "active")
    list_editable = ("order", "active")


@admin.register(DocumentSubset)
class DocumentSubsetAdmin(CatalogueAdmin):
    list_display = ("code", "name", "kind", "required", "order")
    list_filter = ("kind", "required")
    list_editable = ("required",)
    search_fields = ("code", "name")


@admin.register(PlatformInstitution)
class PlatformInstitutionAdmin(ReadOnlyAdmin):
    list_display = ("institution", "registered_on", "left_on")
    search_fields = ("institution__code", "institution__name")
    raw_id_fields = ("institution",)


@admin.register(PlatformDoctor)
class PlatformDoctorAdmin(ReadOnlyAdmin):
    list_display = ("name", "institution", "staff", "registered_on", "left_on")
    search_fields = ("name", "institution__code", "institution__name")
    raw_id_fields = ("institution", "staff")


@admin.register(UsageEvent)
class UsageEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "function", "institution", "doctor_name", "count", "source")
    list_filter = ("function", "source")
    raw_id_fields = ("institution", "doctor")


@admin.register(UploadBatch)
class UploadBatchAdmin(ReadOnlyAdmin):
    list_display = ("day", "institution", "kind", "records", "source")
    list_filter = ("kind", "source")
    raw_id_fields = ("institution",)
