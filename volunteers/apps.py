from django.apps import AppConfig


class VolunteersConfig(AppConfig):
    name = "volunteers"
    verbose_name = "Volunteers"
    default_auto_field = "django.db.models.BigAutoField"
