from django.urls import path

from sessions_app.views import bookings, coordinator, programmes, volunteer

app_name = "sessions_app"

urlpatterns = [
    # Coordinators: sessions.
    path("sessions/", coordinator.SessionListView.as_view(), name="sessions"),
    path("sessions/calendar/", coordinator.MonthView.as_view(), name="month"),
    path("sessions/new/", coordinator.SessionCreateView.as_view(), name="session_new"),
    path("sessions/<int:pk>/", coordinator.SessionDetailView.as_view(), name="session"),
    path("sessions/<int:pk>/edit/", coordinator.SessionEditView.as_view(), name="session_edit"),
    path("sessions/<int:pk>/copy/", coordinator.SessionCopyView.as_view(), name="session_copy"),
    path("sessions/<int:pk>/open/", coordinator.SessionOpenView.as_view(), name="session_open"),
    path("sessions/<int:pk>/cancel/", coordinator.SessionCancelView.as_view(), name="session_cancel"),
    path("sessions/<int:pk>/matching/", bookings.MatchingView.as_view(), name="matching"),
    path("sessions/<int:pk>/invite/", bookings.InviteView.as_view(), name="invite"),
    path("sessions/<int:pk>/message/", bookings.MessageView.as_view(), name="message"),
    path("sessions/<int:pk>/attendance/", bookings.AttendanceView.as_view(), name="attendance"),
    path("bookings/<int:pk>/cancel/", bookings.BookingCancelView.as_view(), name="booking_cancel"),
    path("bookings/<int:pk>/invite-again/", bookings.ReinviteView.as_view(), name="reinvite"),
    path("bookings/<int:pk>/attendance/", bookings.AttendanceCorrectView.as_view(), name="attendance_correct"),
    # Coordinators: programmes and modules.
    path("programmes/", programmes.ProgrammeListView.as_view(), name="programmes"),
    path("programmes/new/", programmes.ProgrammeCreateView.as_view(), name="programme_new"),
    path("programmes/<int:pk>/", programmes.ProgrammeDetailView.as_view(), name="programme"),
    path("programmes/<int:pk>/edit/", programmes.ProgrammeEditView.as_view(), name="programme_edit"),
    path("programmes/<int:pk>/modules/new/", programmes.ModuleCreateView.as_view(), name="module_new"),
    path("modules/<int:pk>/edit/", programmes.ModuleEditView.as_view(), name="module_edit"),
    # Volunteers.
    path("my-sessions/", volunteer.MySessionsView.as_view(), name="my_sessions"),
    path("my-sessions/calendar/", volunteer.CalendarView.as_view(), name="calendar"),
    path("my-sessions/<int:pk>/", volunteer.MyBookingView.as_view(), name="my_booking"),
    path("my-sessions/<int:pk>/cancel/", volunteer.MyBookingCancelView.as_view(), name="my_booking_cancel"),
    # Leads: a volunteer's sessions at the network's partner universities.
    path(
        "networks/<slug:slug>/volunteers/<int:pk>/sessions/",
        volunteer.NetworkParticipationView.as_view(),
        name="network_participation",
    ),
    # Links from emails and calendar apps: the signed token is the key.
    path("invitation/<str:token>/", volunteer.BookingInvitationView.as_view(), name="invitation"),
    path("calendar/<str:token>.ics", volunteer.FeedView.as_view(), name="feed"),
    path("check-in/<str:token>/<str:answer>/", volunteer.CheckInView.as_view(), name="check_in"),
]
