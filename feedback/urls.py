from django.urls import path

from feedback.views import coordinator, impact, lead, student, volunteer

app_name = "feedback"

FOLLOW_UP = "networks/<slug:slug>/follow-ups/<int:pk>"

urlpatterns = [
    # Links from emails and QR codes: the signed token, or the link's secret, is the key.
    path("feedback/<str:token>/", volunteer.VolunteerFeedbackView.as_view(), name="volunteer_feedback"),
    path("s/<str:token>/", student.StudentResponseView.as_view(), name="student"),
    # Volunteers.
    path("me/difference/", volunteer.DifferenceView.as_view(), name="difference"),
    # Coordinators: a session's feedback.
    path("sessions/<int:pk>/feedback/", coordinator.SessionFeedbackView.as_view(), name="session"),
    path(
        "sessions/<int:pk>/feedback/coordinator/",
        coordinator.CoordinatorFeedbackView.as_view(),
        name="coordinator_feedback",
    ),
    path("sessions/<int:pk>/feedback/student-link/", coordinator.StudentLinkView.as_view(), name="student_link"),
    path("sessions/<int:pk>/feedback/project/", coordinator.ProjectView.as_view(), name="project"),
    path("student-answers/<int:pk>/share/", coordinator.ChooseCommentView.as_view(), name="choose_comment"),
    # Coordinators: the impact log.
    path("impact/", impact.ImpactListView.as_view(), name="impact"),
    path("impact/new/", impact.ImpactCreateView.as_view(), name="impact_new"),
    path("impact/<int:pk>/edit/", impact.ImpactEditView.as_view(), name="impact_edit"),
    # Leads: wellbeing follow-ups.
    path("follow-ups/", lead.MyFollowUpsView.as_view(), name="my_follow_ups"),
    path("networks/<slug:slug>/follow-ups/", lead.FollowUpListView.as_view(), name="follow_ups"),
    path(f"{FOLLOW_UP}/", lead.FollowUpDetailView.as_view(), name="follow_up"),
    path(f"{FOLLOW_UP}/status/", lead.FollowUpStatusView.as_view(), name="follow_up_status"),
    path(f"{FOLLOW_UP}/notes/", lead.FollowUpNoteView.as_view(), name="follow_up_note"),
]
