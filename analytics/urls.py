from django.urls import path

from analytics import apis

urlpatterns = [
    path("analytics", apis.AnalyticsApi.as_view()),
    path("analytics/errors", apis.AnalyticsErrorsApi.as_view()),
]
