"""Website routes. Included last by loopwind_site/urls.py: the profile and template pages at the end
catch /<username> and /<username>/<name>, so every fixed path must come before them (the first
segments used here are reserved usernames, accounts/models.py)."""

from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import path, reverse_lazy
from django.views.generic import RedirectView

from accounts.forms import SiteUrlPasswordResetForm
from marketplace.views import account, analytics, dashboard, docs, orgs, pricing, public, status
from marketplace.views import settings as account_settings

password_reset = [
    path(
        "account/password-reset",
        auth_views.PasswordResetView.as_view(
            form_class=SiteUrlPasswordResetForm,
            template_name="marketplace/auth/password_reset.html",
            email_template_name="marketplace/auth/password_reset_email.txt",
            subject_template_name="marketplace/auth/password_reset_subject.txt",
            success_url=reverse_lazy("password-reset-sent"),
        ),
        name="password-reset",
    ),
    path(
        "account/password-reset/sent",
        auth_views.PasswordResetDoneView.as_view(template_name="marketplace/auth/password_reset_sent.html"),
        name="password-reset-sent",
    ),
    path(
        "account/reset/<uidb64>/<token>",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="marketplace/auth/password_reset_confirm.html",
            success_url=reverse_lazy("password-reset-complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "account/reset/done",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="marketplace/auth/password_reset_complete.html"
        ),
        name="password-reset-complete",
    ),
]

org_patterns = [
    path("dashboard/orgs/new", orgs.org_new, name="org-new"),
    path("dashboard/orgs/<str:slug>/members", orgs.members, name="org-members"),
    path("dashboard/orgs/<str:slug>/members/<str:username>/role", orgs.member_role, name="org-member-role"),
    path(
        "dashboard/orgs/<str:slug>/members/<str:username>/remove",
        orgs.member_remove,
        name="org-member-remove",
    ),
    path("dashboard/orgs/<str:slug>/leave", orgs.leave, name="org-leave"),
    path("dashboard/orgs/<str:slug>/invitations", orgs.invitations, name="org-invitations"),
    path(
        "dashboard/orgs/<str:slug>/invitations/<str:invitation_id>/revoke",
        orgs.invitation_revoke,
        name="org-invitation-revoke",
    ),
    path("dashboard/orgs/<str:slug>/profile", orgs.profile_edit, name="org-profile"),
    path("dashboard/orgs/<str:slug>/audit", orgs.audit, name="org-audit"),
    path("dashboard/orgs/<str:slug>/delete", orgs.org_delete, name="org-delete"),
]

dashboard_patterns = [
    path("dashboard", dashboard.overview, name="dashboard"),
    path("dashboard/templates/<str:name>", dashboard.template_edit, name="dashboard-template"),
    path(
        "dashboard/templates/<str:name>/deprecate", dashboard.template_deprecate, name="dashboard-deprecate"
    ),
    path(
        "dashboard/templates/<str:name>/unpublish", dashboard.template_unpublish, name="dashboard-unpublish"
    ),
    path("dashboard/keys", dashboard.keys, name="dashboard-keys"),
    path("dashboard/keys/<str:key_id>/revoke", dashboard.key_revoke, name="dashboard-key-revoke"),
    path("dashboard/billing", dashboard.billing, name="dashboard-billing"),
    path("dashboard/billing/checkout", dashboard.billing_checkout, name="dashboard-checkout"),
    path("dashboard/billing/portal", dashboard.billing_portal, name="dashboard-portal"),
    path("dashboard/webhooks", dashboard.webhooks_page, name="dashboard-webhooks"),
    path("dashboard/webhooks/secret", dashboard.webhook_secret_rotate, name="dashboard-webhook-secret"),
    path(
        "dashboard/webhooks/signing-secret", dashboard.signing_secret_rotate, name="dashboard-signing-secret"
    ),
    path(
        "dashboard/webhooks/<str:delivery_id>/redeliver",
        dashboard.webhook_redeliver,
        name="dashboard-redeliver",
    ),
    path("dashboard/renders", dashboard.renders, name="dashboard-renders"),
    path("dashboard/analytics", analytics.analytics_page, name="dashboard-analytics"),
    path("dashboard/analytics.csv", analytics.analytics_csv, name="dashboard-analytics-csv"),
    path(
        "dashboard/analytics/errors.csv",
        analytics.analytics_errors_csv,
        name="dashboard-analytics-errors-csv",
    ),
    path("dashboard/jobs/<str:job_id>", public.job_status, name="job-status"),
    path("dashboard/settings", account_settings.settings_page, name="settings"),
    path("dashboard/settings/profile", account_settings.profile_update, name="settings-profile"),
    path("dashboard/settings/email", account_settings.email_change, name="settings-email"),
    path("dashboard/settings/password", account_settings.password_change, name="settings-password"),
    path(
        "dashboard/settings/sign-out-everywhere",
        account_settings.sign_out_everywhere,
        name="settings-sign-out-everywhere",
    ),
    path("dashboard/settings/delete", account_settings.account_delete, name="settings-delete"),
    path("dashboard/renders/<str:job_id>", public.render_job, name="render-job"),
    path("dashboard/account", orgs.switch, name="dashboard-switch"),
    *org_patterns,
]

urlpatterns = [
    path("", public.home, name="home"),
    path("favicon.ico", RedirectView.as_view(url=static("img/favicon.svg"), permanent=False)),
    path("admin", RedirectView.as_view(url="/admin/", permanent=True)),  # not a profile
    path("templates", public.browse, name="browse"),
    path("pricing", pricing.pricing, name="pricing"),
    path("status", status.status, name="status"),
    path("signup", account.signup, name="signup"),
    *password_reset,
    path("account/email/<str:token>", account_settings.email_confirm, name="settings-email-confirm"),
    path("media/avatars/<str:name>", account_settings.avatar, name="avatar"),
    # the link an organization's invitation email carries (orgs.services.invitation_link)
    path("invitations/<str:token>", orgs.invitation, name="invitation"),
    *dashboard_patterns,
    path("docs", docs.page, name="docs"),
    path("docs/<str:slug>", docs.page, name="docs-page"),
    # Catch-alls, last.
    path("<str:username>", public.profile, name="profile"),
    path("<str:username>/<str:name>", public.template_detail, name="template-detail"),
    path("<str:username>/<str:name>/try", public.template_try, name="template-try"),
    path("<str:username>/<str:name>/og.png", public.template_og_image, name="template-og-image"),
    path(
        "<str:username>/<str:name>/render-video", public.template_render_video, name="template-render-video"
    ),
    path("<str:username>/<str:name>/star", public.template_star, name="template-star"),
]
