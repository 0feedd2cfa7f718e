"""What every page of the site stands on: the permission and data-scope mixins, and the two
views every action page is made of.

A page declares `permission_required`; anonymous visitors are sent to log in, a logged-in
user without the permission gets 403, and an object outside the user's data scope is a 404
(the queryset is restricted with `visible_to(user)` before the view touches it).

An action page only declares what differs:

    class NoteAddView(ServiceFormView):
        permission_required = "customers.add_customernote"
        form_class = NoteForm
        template_name = "customers/note.html"
        success_message = _("Note added.")

        def perform(self, form):
            return services.add_note(self.object, form.cleaned_data["text"], self.request.user)

ServiceFormView shows the form (GET) and, on POST, validates it and calls perform(), which
calls ONE service: a ValidationError from the service lands on the form fields it names
(add_errors), a Refused becomes an error message, NotVisible is a 404 (ocrm.middleware), and
success is a message and a redirect. ServiceActionView is the POST-only button of the same
shape (approve, revoke, unlock): it calls perform(), says what happened and goes back.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.views import View

from ocrm.errors import NotVisible, Refused, messages_of


class PermissionPageMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """A page behind `permission_required`: anonymous visitors are sent to log in, a
    logged-in user without the permission gets 403."""

    def handle_no_permission(self):
        self.raise_exception = self.request.user.is_authenticated
        return super().handle_no_permission()


class ScopedQuerysetMixin(PermissionPageMixin):
    """Restrict the view's queryset to the user's data scope (404 outside it)."""

    model = None
    select_related = ()

    def get_base_queryset(self):
        return self.model.objects.all()

    def get_queryset(self):
        qs = self.get_base_queryset().visible_to(self.request.user)
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        return qs


class AnyPermissionMixin(PermissionPageMixin):
    """Open to holders of any one of `permissions_any`."""

    permissions_any = ()

    def has_permission(self):
        return any(self.request.user.has_perm(perm) for perm in self.permissions_any)


def is_htmx(request):
    """An htmx request asks for a fragment of the page, not the whole page."""
    return request.headers.get("HX-Request") == "true"


def add_errors(form, error, renamed=None):
    """A service's ValidationError onto the form: on the field it names (`renamed` maps a
    service's field name to the form's, e.g. expires_at -> expires_on), else at the top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            field = (renamed or {}).get(field, field)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class ServiceMixin(PermissionPageMixin):
    """What both action views share: the object, the one service call, the outcome's message."""

    model = None  # when set, the object is model.objects.visible_to(user) by the URL's lookup
    lookup_field = "pk"
    lookup_url_kwarg = "pk"
    select_related = ()
    # What the service may refuse with: shown to the person. NotVisible is never caught (404).
    refusals = (ValidationError, Refused)
    success_message = ""
    success_url = None

    def get_queryset(self):
        queryset = self.model.objects.visible_to(self.request.user)
        return queryset.select_related(*self.select_related) if self.select_related else queryset

    def get_object(self):
        """The object the action is about (None when it is about none): visible to the user, else NotVisible."""
        if self.model is None:
            return None
        found = self.get_queryset().filter(**{self.lookup_field: self.kwargs[self.lookup_url_kwarg]}).first()
        if found is None:
            raise NotVisible
        return found

    def check_object(self, obj):
        """Rules beyond the scope for this page (raise PermissionDenied), before anything is shown or done."""

    def load_object(self):
        self.object = self.get_object()
        self.check_object(self.object)

    def perform(self, *args):
        """Call ONE service and return its result."""
        raise NotImplementedError

    def get_success_message(self, result):
        return self.success_message

    def get_success_level(self, result):
        return messages.SUCCESS

    def get_success_url(self, result):
        return resolve_url(self.success_url)

    def succeeded(self, result):
        message = self.get_success_message(result)
        if message:
            messages.add_message(self.request, self.get_success_level(result), message)
        return redirect(self.get_success_url(result))


class ServiceFormView(ServiceMixin, View):
    """GET shows the form; POST validates it, calls perform(form) and, on success, says so and
    redirects. A refusal is shown on the form (or as messages with `errors_as_messages`)."""

    form_class = None
    template_name = None
    title = ""
    errors_as_messages = False
    renamed_fields = {}  # service field name -> form field name, for add_errors

    def get(self, request, *args, **kwargs):
        self.load_object()
        return self.render_form(self.get_form())

    def post(self, request, *args, **kwargs):
        self.load_object()
        form = self.form = self.get_form()
        if form.is_valid():
            return self.form_valid(form)
        return self.render_form(form)

    def get_form_kwargs(self):
        if self.request.method == "POST":
            return {"data": self.request.POST, "files": self.request.FILES}
        return {}

    def get_form(self):
        return self.form_class(**self.get_form_kwargs())

    def form_valid(self, form):
        try:
            result = self.perform(form)
        except NotVisible:
            raise
        except self.refusals as error:
            self.refused(form, error)
            return self.render_form(form)
        return self.succeeded(result)

    def refused(self, form, error):
        if self.errors_as_messages or isinstance(error, Refused):
            for message in messages_of(error):
                messages.error(self.request, message)
        else:
            add_errors(form, error, self.renamed_fields)

    def get_title(self):
        return self.title

    def get_context_data(self, **kwargs):
        return {"object": self.object, "title": self.get_title(), **kwargs}

    def render_form(self, form):
        return render(self.request, self.template_name, self.get_context_data(form=form))


class ServiceActionView(ServiceMixin, View):
    """A POST-only button: the object through visible_to, perform() calls one service, a message
    says what happened, and the person goes back (get_success_url / get_error_url). With a
    `form_class`, the POST's fields are checked first and their errors shown as messages."""

    http_method_names = ["post"]
    form_class = None
    error_url = None  # where a refusal goes back to (default: where success goes)

    def dispatch(self, request, *args, **kwargs):
        # A button, never a page: another method is 405 before log-in or permission are asked (require_POST's habit).
        if request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.load_object()
        self.form = None
        if self.form_class is not None:
            self.form = self.form_class(request.POST, **self.get_form_kwargs())
            if not self.form.is_valid():
                self.form_invalid(self.form)
                return redirect(self.get_error_url())
        try:
            result = self.perform()
        except NotVisible:
            raise
        except self.refusals as error:
            for message in self.get_error_messages(error):
                messages.error(request, message)
            return redirect(self.get_error_url())
        return self.succeeded(result)

    def get_form_kwargs(self):
        return {}

    def form_invalid(self, form):
        for field, errors in form.errors.items():
            for error in errors:
                if field == NON_FIELD_ERRORS:
                    messages.error(self.request, error)
                else:
                    messages.error(self.request, f"{form.fields[field].label or field}: {error}")

    def get_error_messages(self, error):
        """One message by default, however many reasons the service gave."""
        return [" ".join(messages_of(error))]

    def get_error_url(self):
        return resolve_url(self.error_url) if self.error_url else self.get_success_url(None)
