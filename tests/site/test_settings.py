"""Settings come from the environment and are read strictly: a typo stops the start with a message
naming the variable, as healthchecks does, instead of silently meaning false or crashing later."""

import os
import subprocess
import sys

import pytest


def start(**env) -> subprocess.CompletedProcess:
    """Loads the settings in a fresh interpreter, as a server start does."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)",
        ],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "loopwind_site.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(("value", "debug"), [("1", "True"), ("TRUE", "True"), ("on", "True"), ("no", "False"),
                                              ("0", "False"), ("", "False")])  # fmt: skip
def test_booleans_take_the_usual_words(value, debug):
    started = start(DEBUG=value)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == debug


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "ture"}, "DEBUG='ture' is not a boolean"),
        ({"RATE_LIMITS_ENABLED": "enabled"}, "RATE_LIMITS_ENABLED='enabled' is not a boolean"),
        ({"RENDER_TIME_LIMIT": "10s"}, "RENDER_TIME_LIMIT='10s' is not a whole number"),
        ({"HOT_NEAR_SECONDS": "1s"}, "HOT_NEAR_SECONDS='1s' is not a number"),
        ({"AWS_STORAGE_BUCKET_NAME": "b", "S3_READ_TIMEOUT": "10s"}, "S3_READ_TIMEOUT='10s' is not a number"),
        (
            {"AWS_STORAGE_BUCKET_NAME": "b", "S3_MAX_ATTEMPTS": "3.5"},
            "S3_MAX_ATTEMPTS='3.5' is not a whole number",
        ),
    ],
)
def test_a_typo_stops_the_start_with_a_clear_message(env, message):
    started = start(**env)
    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr and message in started.stderr
