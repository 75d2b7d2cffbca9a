from django.urls import path

from accounts import apis

urlpatterns = [
    path("auth/register", apis.RegisterApi.as_view()),
    path("auth/login", apis.LoginApi.as_view()),
    path("auth/refresh", apis.RefreshApi.as_view()),
    path("auth/logout", apis.LogoutApi.as_view()),
    path("auth/device", apis.DeviceStartApi.as_view()),
    path("auth/device/token", apis.DeviceTokenApi.as_view()),
    path("me", apis.MeApi.as_view()),
    path("keys", apis.ApiKeysApi.as_view()),
    path("keys/<str:key_id>", apis.ApiKeyDetailApi.as_view()),
]
