from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self):
        # Plans set limits on accounts (below billing): hand the numbers over (accounts/policies.py).
        from accounts.policies import api_key_limit_source
        from billing.plans import plan_limits

        api_key_limit_source(lambda user: plan_limits(user).max_api_keys)
