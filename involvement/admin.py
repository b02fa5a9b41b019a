from django.contrib import admin

from involvement.models import ActivityLog, Notification
from involvement.notifications import enqueue_delivery


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ["template_key", "email", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "template_key"]
    search_fields = ["email", "unique_key"]
    readonly_fields = [field.name for field in Notification._meta.fields if field.name != "context"]
    exclude = ["context"]
    actions = ["requeue"]

    def has_add_permission(self, request: object) -> bool:
        return False

    @admin.action(description="Try delivering the selected pending notifications again")
    def requeue(self, request: object, queryset: object) -> None:
        for notification in queryset.filter(status=Notification.Status.PENDING):  # type: ignore[attr-defined]
            enqueue_delivery(notification.pk)


@admin.register(ActivityLog)
class ActivityLogAdmin(admin.ModelAdmin[ActivityLog]):
    list_display = ["created_at", "action", "actor", "organisation", "content_type", "object_id"]
    list_filter = ["action", "organisation"]
    search_fields = ["action", "object_id"]
    readonly_fields = ["created_at", "action", "actor", "organisation", "content_type", "object_id", "data"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
