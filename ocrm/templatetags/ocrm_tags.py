from django import template

from ocrm import labels

register = template.Library()


@register.filter
def role_label(group_name):
    return labels.role_label(group_name)


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs):
    """The current query string with some parameters replaced (for sort/page/export links)."""
    query = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


@register.filter
def bs_widget(field):
    """Render a form field's widget with Bootstrap's classes (and the error state)."""
    widget = field.field.widget
    input_type = getattr(widget, "input_type", "")
    is_select = input_type == "select" or widget.__class__.__name__.endswith("Select")
    if input_type in ("checkbox", "radio"):
        css = "form-check-input"
    elif is_select or getattr(widget, "allow_multiple_selected", False):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    existing = widget.attrs.get("class", "")
    return field.as_widget(attrs={"class": f"{existing} {css}".strip()})


@register.simple_tag(takes_context=True)
def table_in_page(context, table):
    """django_tables2's {% render_table %} in the page's own context. That tag renders the table's
    template with a new RequestContext, which runs every context processor (the navigation among
    them) a second time for each list page; this does what it does otherwise (the context on the
    table for its template columns, before_render)."""
    template = context.template.engine.get_template(table.template_name)
    table.context = context
    try:
        table.before_render(context.get("request"))
        with context.push(table=table):
            return template.render(context)
    finally:
        del table.context
