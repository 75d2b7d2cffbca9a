"""Issue 21, item 10 (the rest): the try-it form says "field" where the engine says "prop", and the
filters carry the hook that applies them on change (the Apply button stays for no-JS)."""

import pytest
from django.test import Client

from marketplace.tryit import visitor_message

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.mark.parametrize(
    ("engine", "visitor"),
    [
        ("Prop 'accent': expected a color.", "Field \u201caccent\u201d: expected a color."),
        ("Missing required prop 'title'.", "Fill in \u201ctitle\u201d: it is required."),
        (
            "Unknown prop 'x'; this template takes: title, accent.",
            "This template has no field \u201cx\u201d; its fields: title, accent.",
        ),
        ("Props must be a JSON object.", "Fields must be a JSON object."),
    ],
)
def test_engine_messages_in_the_forms_words(engine, visitor):
    assert visitor_message(engine) == visitor


def test_try_it_errors_never_say_prop(official, member_client):
    page = member_client.post("/loopwind/og-card/try", {"title": "x", "accent": "not a color"})
    body = page.content.decode()
    assert page.status_code == 400 and "Field \u201caccent\u201d" in body and "Prop 'accent'" not in body
    error = member_client.post("/loopwind/og-card/try", {"title": "x", "accent": "nope"}, **JSON).json()[
        "error"
    ]
    assert error["prop"] == "accent" and error["message"].startswith("Field \u201caccent\u201d")
    assert "prop" not in error["message"].lower()


def test_filters_apply_on_change_and_keep_the_button(official):
    body = Client().get("/templates").content.decode()
    assert 'class="filters" aria-label="Filter templates" data-autosubmit>' in body
    assert '<button type="submit" class="button">Apply</button>' in body
