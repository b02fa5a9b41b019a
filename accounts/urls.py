from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("organisations/", views.OrganisationListView.as_view(), name="organisations"),
    path("organisations/<slug:slug>/", views.OrganisationDetailView.as_view(), name="organisation"),
    path("organisations/<slug:slug>/members/", views.MemberListView.as_view(), name="members"),
    path("organisations/<slug:slug>/members/invite/", views.InviteMemberView.as_view(), name="invite"),
    path("organisations/<slug:slug>/members/<int:pk>/role/", views.ChangeRoleView.as_view(), name="change_role"),
    path("organisations/<slug:slug>/members/<int:pk>/remove/", views.RemoveMemberView.as_view(), name="remove_member"),
    path(
        "organisations/<slug:slug>/invitations/<int:pk>/withdraw/",
        views.RevokeInvitationView.as_view(),
        name="revoke_invitation",
    ),
    path("invitations/<str:token>/", views.MemberInvitationView.as_view(), name="invitation"),
]
