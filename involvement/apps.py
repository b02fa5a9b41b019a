from django.apps import AppConfig


class InvolvementConfig(AppConfig):
    name = "involvement"
    verbose_name = "Platform"
    default_auto_field = "django.db.models.BigAutoField"
