from django.urls import path

from templates_registry import apis

urlpatterns = [
    path("templates", apis.TemplateListApi.as_view()),
    path("templates/publish", apis.PublishApi.as_view()),
    path("templates/lint", apis.LintApi.as_view()),
    path("templates/<str:username>/<str:name>", apis.TemplateDetailApi.as_view()),
    path("templates/<str:username>/<str:name>/versions", apis.TemplateVersionsApi.as_view()),
    path("templates/<str:username>/<str:name>/versions/<str:version>", apis.VersionDetailApi.as_view()),
    path("templates/<str:username>/<str:name>/download", apis.DownloadApi.as_view()),
    path("templates/<str:username>/<str:name>/star", apis.StarApi.as_view()),
    path("users/<str:username>", apis.UserProfileApi.as_view()),
    path("me/templates", apis.MyTemplatesApi.as_view()),
    path("me/usage", apis.UsageApi.as_view()),
]
