from core.errors import ApiError, Conflict, Forbidden, Unauthorized


class EmailTaken(Conflict):
    code = "email_taken"
    message = "An account with this email already exists."


class UsernameTaken(Conflict):
    code = "username_taken"
    message = "This username is taken."


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    # The same words whether the email is unknown or the password wrong.
    message = "Email or password is incorrect."


class InvalidRefreshToken(Unauthorized):
    code = "invalid_refresh_token"
    message = "The refresh token is invalid, expired or already used. Sign in again."


class KeyLimit(Forbidden):
    code = "plan_limit"  # as billing's PlanLimit: the plan does not allow more


class UnknownScope(ApiError):
    code = "unknown_scope"


class DeviceFlowError(ApiError):
    """RFC 8628 token errors: authorization_pending, slow_down, expired_token, access_denied."""

    status = 400
