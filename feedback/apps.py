from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = "Feedback and impact"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.models import Membership
        from accounts.navigation import NavEntry, register
        from feedback import panels
        from feedback.personal_data import PROVIDER
        from feedback.services import on_attendance_marked, on_check_in_answered
        from sessions_app.services import register_attendance_hook, register_check_in_hook
        from volunteers.apps import is_volunteer
        from volunteers.data_rights import register_provider
        from volunteers.panels import LEAD_HOME, Panel, register_panel

        Role = Membership.Role
        register(NavEntry("The difference you made", "feedback:difference", order=15, visible=is_volunteer))
        register(NavEntry("Follow-ups", "feedback:my_follow_ups", order=21, roles=frozenset({Role.LEAD})))
        register(NavEntry("Impact log", "feedback:impact", order=33, roles=frozenset({Role.COORDINATOR})))
        # Attendance asks for feedback (and a correction to "did not attend" withdraws it); the
        # check-in's "I'd like a call" raises a wellbeing follow-up.
        register_attendance_hook(on_attendance_marked)
        register_check_in_hook(on_check_in_answered)
        register_provider(PROVIDER)
        from feedback.services import delete_old_follow_up_notes
        from involvement.retention import Rule, register_rule

        register_rule(
            Rule(
                name="feedback.follow_up_notes",
                data="Leads' notes on wellbeing follow-ups (special-category data)",
                period="1 year after the follow-up was closed",
                why="The notes serve the volunteer's care while it goes on and for a while after, should "
                "the same worry come back; a year on, health details should not be kept. The follow-up "
                "itself (raised, contacted, closed) stays for the counts.",
                setting="RETENTION_FOLLOW_UP_NOTE_DAYS",
                apply=lambda now: delete_old_follow_up_notes(now=now),
                order=30,
            )
        )
        register_panel(
            Panel(
                name="feedback-open-follow-ups",
                page=LEAD_HOME,
                order=10,
                template="feedback/panels/_open_follow_ups.html",
                context=panels.open_follow_ups_panel,
            )
        )
