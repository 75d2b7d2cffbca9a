from core.errors import ApiError, Conflict, NotFound


class DomainInvalid(ApiError):
    """A name we will not serve; ``code`` says why (domain_wildcard, domain_ip_literal, …)."""

    code = "domain_invalid"


class DomainTaken(Conflict):
    code = "domain_taken"


class DomainNotFound(NotFound):
    code = "domain_not_found"
    message = "No such domain on this account."


class DomainNotVerified(ApiError):
    code = "domain_not_verified"
