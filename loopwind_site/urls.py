from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as account_views
from core import observability
from core.files import signed_file
from core.health import healthz
from domains.views import tls_ask
from loopwind_site.benchfloor import bench_urls
from marketplace.views import account as site_account_views
from rendering import views as rendering_views

api_patterns = [
    # rendering first: POST /api/render is the most-called path, and URLs are tried in order (no
    # pattern of accounts' or the registry's matches a rendering path, or the other way round)
    path("", include("rendering.urls")),
    path("", include("accounts.urls")),
    path("", include("templates_registry.urls")),
    path("", include("billing.urls")),
    path("", include("orgs.urls")),
    path("", include("domains.urls")),
    path("", include("analytics.urls")),
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI under the site's CSP: its script is served as a file (the split view), never inline;
    # only its own inline styles and data: images are let through, on this page alone.
    path(
        "docs",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="marketplace/api/docs.html")
        ),
        name="api-docs",
    ),
]

urlpatterns = [
    path("api/", include(api_patterns)),
    path("healthz", healthz, name="healthz"),
    path("metrics", observability.metrics, name="metrics"),
    path("internal/tls-ask", tls_ask, name="tls-ask"),  # the proxy's on-demand TLS check
    path("files/<str:token>", signed_file, name="signed-file"),
    path("i/<str:username>/<str:filename>", rendering_views.signed_image, name="signed-image"),
    path("admin/", admin.site.urls),
    path("login", site_account_views.SignInView.as_view(), name="login"),
    path("logout", site_account_views.sign_out, name="logout"),
    path("device", account_views.device, name="device"),
    *bench_urls(),  # only with LOOPWIND_BENCH_FLOOR=1 (the render bench's floor)
    # The marketplace last: its profile and template pages (/<username>, /<username>/<name>) catch all.
    path("", include("marketplace.urls")),
]
