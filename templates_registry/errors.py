from core.errors import ApiError, Conflict


class VersionExists(Conflict):
    code = "version_exists"
    message = "This version is already published. Versions are immutable: publish a new one."


class TemplateInvalid(ApiError):
    """The bundle, its manifest or the publish fields are wrong (400); ``code`` says what."""

    code = "template_invalid"


class SmokeRenderFailed(ApiError):
    status = 422
    code = "render_failed"
