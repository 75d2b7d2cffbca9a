from loopwind_site.errors import Forbidden


class PlanLimit(Forbidden):
    code = "plan_limit"
    message = "Your plan does not allow this. Upgrade to do it."
