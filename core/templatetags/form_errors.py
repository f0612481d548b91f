"""The error summary every form shows at the top when it has errors (RGAA 11.10, WCAG 3.3.1):
one link per error, to the field it is about (``templates/core/form_errors.html``)."""

from dataclasses import dataclass

from django import forms, template

register = template.Library()


@dataclass
class ErrorSummary:
    unlinked: list  # the form's own errors and those of hidden fields: no field to go to
    linked: list  # (bound field, message) of the visible fields, in the order of the form

    @property
    def count(self) -> int:
        return len(self.unlinked) + len(self.linked)


def error_summary(form) -> ErrorSummary:
    unlinked = list(form.non_field_errors())
    for field in form.hidden_fields():
        unlinked.extend(field.errors)
    linked = [(field, error) for field in form.visible_fields() for error in field.errors]
    return ErrorSummary(unlinked, linked)


@register.inclusion_tag("core/form_errors.html")
def form_errors(form, summary_id: str = "erreurs", lead: str = "") -> dict:
    """``{% form_errors form %}`` at the top of a form: nothing when it has no error.
    ``summary_id`` must be unique on the page (several forms); ``lead``, a sentence under the
    title."""
    if form is None or not form.errors:
        return {"summary": None}
    return {"summary": error_summary(form), "box": summary_id, "lead": lead}


@register.filter
def error_target(bound_field) -> str:
    """The id of the control a summary link leads to: the field's own input, or the first
    of a group (radio buttons, check boxes, a value split in parts), which Django numbers
    ``<id>_0``, ``<id>_1``…"""
    auto_id = bound_field.auto_id
    if not auto_id:
        return ""
    widget = bound_field.field.widget
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple | forms.MultiWidget):
        return f"{auto_id}_0"
    return widget.id_for_label(auto_id) or auto_id
