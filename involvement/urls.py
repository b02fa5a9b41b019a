from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts.views import HomeView
from involvement import views

admin.site.site_header = "Involvement support"
admin.site.site_title = "Involvement support"

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("health/", views.health, name="health"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("volunteers.urls")),
    path("", include("sessions_app.urls")),
    path("", include("expenses.urls")),
    path("", include("reports.urls")),
    path("", include("feedback.urls")),
    path("support/", admin.site.urls),
]
if settings.BENCH_MODE:
    # The ceiling views `make bench` compares every page with (involvement.benchmarking).
    from involvement import benchmarking

    urlpatterns += [
        path("bench/tiny/", benchmarking.tiny, name="bench_tiny"),
        path("bench/layout/", benchmarking.layout, name="bench_layout"),
    ]

handler400 = "involvement.views.bad_request"
handler403 = "involvement.views.permission_denied"
handler404 = "involvement.views.page_not_found"
handler500 = "involvement.views.server_error"
# allauth's per-address limits on its sign-in views answer with this (429, when to try again).
handler429 = "accounts.throttling.too_many_requests"
