from django.urls import path

from rendering import apis

urlpatterns = [
    path("render", apis.RenderApi.as_view()),
    path("render/sign", apis.SignApi.as_view()),
    path("render/signing-secret", apis.SigningSecretApi.as_view()),
]
