"""JSON bodies carry the JSON types the schema documents: DRF's lenient coercion ("5" for 5, 0 for
"0", "yes" for true) would hide client bugs. The API takes JSON only (publish adds multipart)."""

import pytest

from templates_registry.services import template_publish
from tests.conftest import assert_error
from tests.templates_registry.helpers import example_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(user):
    template_publish(user=user, files=example_files("og-card"))
    return f"{user.username}/og-card"


@pytest.mark.parametrize(
    "change, field, expected",
    [
        ({"scale": "2"}, "scale", "an integer"),
        ({"scale": True}, "scale", "an integer"),
        ({"quality": 80.5}, "quality", "an integer"),
        ({"format": 1}, "format", "a string"),
        ({"template": 42}, "template", "a string"),
    ],
)
def test_render_refuses_values_of_the_wrong_json_type(user_api, card, change, field, expected):
    body = {"template": card, "props": {"title": "x"}, **change}
    error = assert_error(user_api.post("/api/render", body, format="json"), 400, "validation_error")
    assert error["details"]["fields"][field] == [f"Must be {expected}."]


def test_the_right_types_pass_and_null_means_absent(user_api, card):
    body = {"template": card, "props": {"title": "x"}, "scale": 2, "quality": None, "format": "png"}
    assert user_api.post("/api/render", body, format="json").status_code == 200


def test_lists_and_booleans(user_api, card):
    url = f"/api/templates/{card}"
    error = assert_error(user_api.patch(url, {"private": "yes"}, format="json"), 400)
    assert error["details"]["fields"]["private"] == ["Must be a boolean."]
    error = assert_error(user_api.patch(url, {"tags": ["ok", 3]}, format="json"), 400)
    assert error["details"]["fields"]["tags"] == ["Each item must be a string."]
    assert user_api.patch(url, {"tags": ["ok"], "private": False}, format="json").status_code == 200


def test_form_bodies_are_refused_with_415(user_api, card):
    response = user_api.post("/api/render", {"template": card}, format="multipart")
    assert_error(response, 415, "unsupported_media_type")
    response = user_api.generic(
        "POST", "/api/render", f"template={card}", content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 415, "unsupported_media_type")


def test_an_empty_choice_in_the_query_is_an_error(api):
    assert_error(api.get("/api/templates?type="), 400, "validation_error")
    assert api.get("/api/templates?tags=&q=").status_code == 200  # empty text filters mean none
