"""loopwind_site.urls: the rendering app's API URLs are tried first (POST /api/render is the most
called path, issue 14); no path of another app's resolves differently for it."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from rendering import fastpath


def _app_patterns(module: str) -> list[URLPattern]:
    api = next(
        p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and str(p.pattern) == "api/"
    )
    for include in api.url_patterns:
        if isinstance(include, URLResolver) and include.urlconf_name.__name__ == module:
            return include.url_patterns
    raise AssertionError(module)


def _sample(pattern: URLPattern) -> str:
    route = str(pattern.pattern)
    while "<" in route:
        start = route.index("<")
        route = route[:start] + "x1" + route[route.index(">", start) + 1 :]
    return "/api/" + route


@pytest.mark.parametrize("module", ["accounts.urls", "templates_registry.urls", "billing.urls", "orgs.urls",
                                    "domains.urls"])  # fmt: skip
def test_every_other_apps_path_resolves_to_its_own_view(module):
    for pattern in _app_patterns(module):
        assert resolve(_sample(pattern)).func is pattern.callback, _sample(pattern)


def test_render_paths_resolve_to_the_rendering_views():
    assert resolve("/api/render").func is fastpath.render_sync
    for pattern in _app_patterns("rendering.urls"):
        assert resolve(_sample(pattern)).func is pattern.callback, _sample(pattern)
