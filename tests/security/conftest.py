"""The security suite reuses the rendering fixtures (published templates, a private one)."""

from tests.rendering.conftest import private_template, published, published_video  # noqa: F401
