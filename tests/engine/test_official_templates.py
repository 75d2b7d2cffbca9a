"""Every official template (loopwind/templates/) renders with its example props and matches its golden
image under a perceptual tolerance; and each carries what the marketplace shows (a description, tags, a
known category, examples for its required props, a CHANGELOG.md entry for its first version).

Images render at scale 1; a video renders one frame, the middle one (the frame its publish preview
shows). Renders and goldens are compared as thumbnails (640 px on the long side): a layout, color or
text change shows, antialiasing does not, and the committed goldens stay small. Regenerate after an
intended change with ``LOOPWIND_UPDATE_GOLDEN=1 pytest tests/engine -k official`` and look at the new
PNGs under tests/engine/golden/official/ before committing them.
"""

from __future__ import annotations

import io
import os

import pytest
from engine_helpers import GOLDEN, MAX_CHANGED, MAX_MEAN_DIFF, TEMPLATES, compare
from PIL import Image

from loopwind.bundlefiles import is_template_folder
from loopwind.engine import example_props, load_bundle, render
from templates_registry.categories import SLUGS as CATEGORIES
from templates_registry.changelog import changelog_for

OFFICIAL = sorted(p.name for p in TEMPLATES.iterdir() if is_template_folder(p))
# kept exactly as the tests pin them, and their jsx versions: no changelog
FIRST_RELEASE = {
    "og-card",
    "quote-card",
    "promo-video",
    "og-card-jsx",
    "og-card-tsx",
    "promo-video-jsx",
    "quote-card-jsx",
}
THUMB = 640


def thumbnail(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.thumbnail((THUMB, THUMB), Image.Resampling.LANCZOS)
    return image


def render_still(name: str) -> bytes:
    bundle = load_bundle(TEMPLATES / name)
    options = {"time": bundle.duration / 2} if bundle.type == "video" else {}
    return render(bundle, example_props(bundle), format="png", scale=1, **options)


def test_there_are_thirty_seven_official_templates():
    assert len(OFFICIAL) == 37, OFFICIAL  # 33 designs and the jsx versions of the first three


@pytest.mark.parametrize("name", OFFICIAL)
def test_official_template_matches_its_golden(name):
    path = GOLDEN / "official" / f"{name}.png"
    actual = thumbnail(render_still(name))
    if os.environ.get("LOOPWIND_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        actual.save(path, optimize=True)
    assert path.exists(), f"no golden for {name}: run with LOOPWIND_UPDATE_GOLDEN=1 and look at it"
    mean, changed = compare(actual, Image.open(path))
    assert mean <= MAX_MEAN_DIFF, f"{name}: mean diff {mean:.2f}"
    assert changed <= MAX_CHANGED, f"{name}: {changed:.2%} of pixels changed"


@pytest.mark.parametrize("name", OFFICIAL)
def test_official_template_has_what_the_marketplace_shows(name):
    folder = TEMPLATES / name
    bundle = load_bundle(folder)
    manifest = bundle.manifest_dict()  # loopwind.json, or a single .tsx file's meta
    assert manifest["name"] == name
    assert len(bundle.description) >= 40, "a description people can decide on"
    assert manifest.get("category") in CATEGORIES
    assert 1 <= len(bundle.tags) <= 10
    for prop, spec in bundle.props.items():
        if spec.required:
            assert "example" in spec.extra, f"{prop}: a required prop needs an example for the preview"
    if bundle.type == "video":
        assert bundle.duration <= 6 and bundle.fps <= 30, "previews must render quickly"
    if name not in FIRST_RELEASE:
        files = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
        assert changelog_for(files, "1.0.0"), "CHANGELOG.md needs a 1.0.0 section"


def test_the_comparison_catches_a_changed_text():
    bundle = load_bundle(TEMPLATES / "blog-post")
    props = {**example_props(bundle), "title": "A different headline, somewhere else entirely"}
    other = thumbnail(render(bundle, props))
    mean, changed = compare(other, Image.open(GOLDEN / "official" / "blog-post.png"))
    assert mean > MAX_MEAN_DIFF or changed > MAX_CHANGED
