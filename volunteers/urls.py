from django.urls import path

from volunteers.views import consent_texts, network, own, public

app_name = "volunteers"

MEMBER = "networks/<slug:slug>/volunteers/<int:pk>"

urlpatterns = [
    # The volunteer's own pages.
    path("me/", own.MyVolunteeringView.as_view(), name="my_volunteering"),
    path("me/profile/", own.ProfileEditView.as_view(), name="profile_edit"),
    path("me/adjustments/", own.AdjustmentsEditView.as_view(), name="adjustments_edit"),
    path("me/availability/", own.AvailabilityEditView.as_view(), name="availability_edit"),
    path("me/availability/away/", own.TimeAwayAddView.as_view(), name="time_away_add"),
    path("me/availability/away/<int:pk>/remove/", own.TimeAwayRemoveView.as_view(), name="time_away_remove"),
    path("me/pause/", own.PauseView.as_view(), name="pause"),
    path("me/resume/", own.ResumeView.as_view(), name="resume"),
    path("me/networks/<int:pk>/leave/", own.LeaveNetworkView.as_view(), name="leave"),
    path("me/consent/", own.ConsentView.as_view(), name="consent"),
    path("me/consent/<slug:code>/", own.ConsentChangeView.as_view(), name="consent_change"),
    path("me/data/", own.MyDataView.as_view(), name="my_data"),
    path("me/data/download/", own.MyDataDownloadView.as_view(), name="my_data_download"),
    # Public: the networks taking applications, a network's page and its application form.
    path("networks/", public.NetworkListView.as_view(), name="networks"),
    path("networks/<slug:slug>/", public.NetworkPageView.as_view(), name="network"),
    path("networks/<slug:slug>/apply/", public.ApplyView.as_view(), name="apply"),
    path("networks/<slug:slug>/applied/", public.AppliedView.as_view(), name="applied"),
    # Leads: their network.
    path("network/", network.MyNetworkView.as_view(), name="my_network"),
    path("networks/<slug:slug>/volunteers/", network.NetworkListView.as_view(), name="network_list"),
    path(f"{MEMBER}/", network.NetworkVolunteerView.as_view(), name="network_volunteer"),
    path(f"{MEMBER}/accept/", network.AcceptView.as_view(), name="accept"),
    path(f"{MEMBER}/decline/", network.DeclineView.as_view(), name="decline"),
    path(f"{MEMBER}/pause/", network.LeadPauseView.as_view(), name="lead_pause"),
    path(f"{MEMBER}/reactivate/", network.ReactivateView.as_view(), name="reactivate"),
    path(f"{MEMBER}/erase/", network.EraseView.as_view(), name="erase"),
    path(f"{MEMBER}/checks/add/", network.CheckAddView.as_view(), name="check_add"),
    path(f"{MEMBER}/checks/<int:check_pk>/", network.CheckEditView.as_view(), name="check_edit"),
    path(f"{MEMBER}/consent/", network.ConsentRecordView.as_view(), name="consent_record"),
    path("networks/<slug:slug>/experience/", network.ExperienceTagsView.as_view(), name="tags"),
    path("networks/<slug:slug>/data-views/", network.DataViewsView.as_view(), name="data_views"),
    # Leads and partnered coordinators: a volunteer's summary (name, perspective, experience, biography).
    path("volunteers/<int:pk>/", network.VolunteerSummaryView.as_view(), name="volunteer_summary"),
    # Org admins: consent wording.
    path("consent-texts/", consent_texts.ConsentPurposeListView.as_view(), name="consent_purposes"),
    path(
        "consent-texts/<slug:network>/<slug:code>/new/",
        consent_texts.ConsentTextCreateView.as_view(),
        name="consent_text_new",
    ),
]
