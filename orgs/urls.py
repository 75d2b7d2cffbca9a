from django.urls import path

from orgs import apis

urlpatterns = [
    path("orgs", apis.OrgsApi.as_view()),
    path("me/orgs", apis.MyOrgsApi.as_view()),
    path("orgs/<str:slug>", apis.OrgDetailApi.as_view()),
    path("orgs/<str:slug>/members", apis.MembersApi.as_view()),
    path("orgs/<str:slug>/members/<str:username>", apis.MemberDetailApi.as_view()),
    path("orgs/<str:slug>/invitations", apis.InvitationsApi.as_view()),
    path("orgs/<str:slug>/invitations/<str:invitation_id>", apis.InvitationDetailApi.as_view()),
    path("orgs/<str:slug>/invitations/<str:token>/accept", apis.InvitationAcceptApi.as_view()),
    path("orgs/<str:slug>/audit", apis.AuditApi.as_view()),
]
