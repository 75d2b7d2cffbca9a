from core.errors import ApiError, Forbidden, ServiceUnavailable, TooManyRequests


class PlanLimit(Forbidden):
    code = "plan_limit"
    message = "Your plan does not allow this. Upgrade to do it."


class QuotaExceeded(TooManyRequests):
    code = "quota_exceeded"


class BillingDisabled(ServiceUnavailable):
    code = "billing_disabled"
    message = "Billing is not configured on this server."


class StripeUnavailable(ServiceUnavailable):
    code = "stripe_unavailable"
    message = "Stripe could not be reached. Try again shortly."


class InvalidStripeSignature(ApiError):
    code = "invalid_signature"
    message = "The Stripe signature is missing, invalid or too old."
