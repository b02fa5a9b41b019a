from django.apps import AppConfig


class InvolvementConfig(AppConfig):
    name = "involvement"
    verbose_name = "Platform"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from involvement.notifications import remove_old_email_content
        from involvement.retention import Rule, register_rule

        register_rule(
            Rule(
                name="involvement.email_content",
                data="What each email said (the outbox row's content and any delivery error)",
                period="90 days after it was queued, once sent or failed",
                why="Emails name people, sessions and sometimes adjustments; after three months nobody needs "
                "to resend or investigate one. The row stays (kind, address, times, key) so an email is "
                "never sent twice and a volunteer's download still lists what we sent them.",
                setting="RETENTION_EMAIL_CONTENT_DAYS",
                apply=lambda now: remove_old_email_content(now=now),
                order=90,
            )
        )
