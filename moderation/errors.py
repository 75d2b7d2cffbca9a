from core.errors import Forbidden


class TemplateRemoved(Forbidden):
    code = "template_removed"
