"""`make run`'s demo data: users, key, the official templates under `loopwind` (a few featured), and
nothing new on a second run. Publishing all thirty-three takes about a minute (each renders its
preview), so the command is run here with two of them; every official bundle is checked to publish."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import ApiKey, User
from loopwind import engine
from loopwind.bundlefiles import is_template_folder
from marketplace.management.commands.demo_data import EXAMPLES, FEATURED
from templates_registry.models import Template
from templates_registry.services import check_category

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("demo_data", *args, stdout=out)
    return out.getvalue()


def test_demo_data_publishes_official_templates_once(_media):
    first = run("--templates", "blog-post,product-launch")
    assert "2 official templates" in first and "(2 published in" in first
    official = User.objects.get(username="loopwind")
    rows = {t.name: t for t in Template.objects.filter(owner=official)}
    assert set(rows) == {"blog-post", "product-launch"}
    assert rows["blog-post"].category == "open-graph" and not rows["blog-post"].featured
    assert rows["product-launch"].featured  # in FEATURED
    assert rows["blog-post"].latest_version.changelog.startswith("- First release")
    assert ApiKey.objects.filter(user__username="demo").count() == 1

    again = run("--templates", "blog-post,product-launch")
    assert "(up to date)" in again
    assert Template.objects.filter(owner=official).count() == 2
    assert ApiKey.objects.filter(user__username="demo").count() == 1


def test_an_unknown_template_name_is_an_error():
    with pytest.raises(CommandError, match="nope"):
        run("--templates", "nope")


def test_every_official_bundle_is_publishable_and_the_featured_ones_exist():
    names = set()
    for folder in EXAMPLES.iterdir():
        if is_template_folder(folder):
            bundle = engine.load_bundle(folder)
            assert check_category(bundle.manifest_dict().get("category")), folder.name
            names.add(bundle.name)
    assert len(names) == 37  # 33 designs, and the jsx versions of the first three (one as a single .tsx)
    assert set(FEATURED) <= names
