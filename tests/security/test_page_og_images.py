"""Issue 22 (9, 13): the website's og:image for a template page. It was a URL the site signed: the
official account's OG card with the template's description (attacker-chosen text, rendered uncached
and billed to the official account on every new description), or the template itself signed by
its owner, which kept rendering after the template went private. Now it is the version's own
preview, rendered once at publish, served while the template is public and a 404 once it is not."""

import re

import pytest

from billing.models import Usage
from core import files as stored_files
from rendering.models import Render
from templates_registry.models import Template
from templates_registry.services import template_publish, template_unpublish, template_update
from tests.templates_registry.helpers import example_files

pytestmark = pytest.mark.django_db


def og_image(client, slug: str) -> str:
    page = client.get(f"/{slug}").content.decode()
    match = re.search(r'<meta property="og:image" content="([^"]+)"', page)
    return match[1] if match else ""


@pytest.mark.parametrize("example", ["og-card", "promo-video"])
def test_the_og_image_is_the_versions_preview_and_renders_nothing(client, user, example):
    user.plan = "pro"
    user.save(update_fields=["plan"])
    description = "<script>alert(1)</script> " + "ATTACKER TEXT " * 20
    template = template_publish(user=user, files=example_files(example), description=description).template
    url = og_image(client, template.slug)
    assert url.endswith(f"/{template.slug}/og.png") and "sig=" not in url and "ATTACKER" not in url
    renders_before, usage_before = Render.objects.count(), list(Usage.objects.values_list("count", flat=True))
    image = client.get(url.split("8000", 1)[-1])
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image.content == stored_files.file_read(template.latest_version.preview)
    assert "public" in image["Cache-Control"]
    # nothing rendered, nobody billed, however often crawlers fetch it
    for _ in range(3):
        client.get(url.split("8000", 1)[-1])
    assert Render.objects.count() == renders_before
    assert list(Usage.objects.values_list("count", flat=True)) == usage_before


def test_a_template_made_private_or_unpublished_stops_serving_it(client, user):
    user.plan = "pro"
    user.save(update_fields=["plan"])
    template = template_publish(user=user, files=example_files("og-card")).template
    path = f"/{template.slug}/og.png"
    assert client.get(path).status_code == 200
    template_update(template=template, user=user, private=True)
    assert client.get(path).status_code == 404
    client.force_login(user)  # not even its owner's session makes it public again
    assert client.get(path).status_code == 404
    assert og_image(client, template.slug) == ""  # the owner's page names no og:image for it
    client.logout()
    template_update(template=Template.objects.get(pk=template.pk), user=user, private=False)
    assert client.get(path).status_code == 200
    template_unpublish(template=Template.objects.get(pk=template.pk))
    assert client.get(path).status_code == 404
