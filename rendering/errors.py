from core.errors import ApiError, ServiceUnavailable


class UseAsyncEndpoint(ApiError):
    code = "video_template"
    message = "This is a video template: render it with POST /api/render/async."


class RenderFailed(ApiError):
    """The engine refused or failed: 400 for bad props, 422 for templates that do not render."""

    status = 422
    code = "render_failed"


class BadSignature(ApiError):
    status = 403
    code = "invalid_signature"
    message = "The image URL's signature is missing or does not match."


class QueueUnavailable(ServiceUnavailable):
    code = "queue_unavailable"
    message = "The render queue is unavailable right now. Try again shortly."
