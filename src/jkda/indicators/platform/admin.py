"""System administrators keep the catalogue (business functions, document subsets) and the registrations here."""

from django.contrib import admin

from .models import BusinessFunction, DocumentSubset, PlatformDoctor, PlatformInstitution, UploadBatch, UsageEvent


class NoDeleteAdmin(admin.ModelAdmin):
    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BusinessFunction)
class BusinessFunctionAdmin(NoDeleteAdmin):
    list_display = ("code", "name", "order", "active")
    list_editable = ("order", "active")


@admin.register(DocumentSubset)
class DocumentSubsetAdmin(NoDeleteAdmin):
    list_display = ("code", "name", "kind", "required", "order")
    list_filter = ("kind", "required")
    list_editable = ("required",)
    search_fields = ("code", "name")


@admin.register(PlatformInstitution)
class PlatformInstitutionAdmin(NoDeleteAdmin):
    list_display = ("institution", "registered_on", "left_on")
    search_fields = ("institution__code", "institution__name")
    raw_id_fields = ("institution",)


@admin.register(PlatformDoctor)
class PlatformDoctorAdmin(NoDeleteAdmin):
    list_display = ("name", "institution", "staff", "registered_on", "left_on")
    search_fields = ("name", "institution__code", "institution__name")
    raw_id_fields = ("institution", "staff")


@admin.register(UsageEvent)
class UsageEventAdmin(NoDeleteAdmin):
    list_display = ("at", "function", "institution", "doctor_name", "count", "source")
    list_filter = ("function", "source")
    raw_id_fields = ("institution", "doctor")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(UploadBatch)
class UploadBatchAdmin(NoDeleteAdmin):
    list_display = ("day", "institution", "kind", "records", "source")
    list_filter = ("kind", "source")
    raw_id_fields = ("institution",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
