"""The contact-policy form (from the 360 page's "Consent and messages" section)."""

from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from customers.consent import sections, services
from customers.consent.forms import ContactPolicyForm
from customers.master.views import CustomerRouteMixin
from customers.profile.views import PROFILE_RELATED
from ocrm.pages import ServiceFormView


class ConsentSectionView(CustomerRouteMixin, TemplateView):
    """The 360 page's "Consent and messages" section, loaded by htmx (customers.consent.sections)."""

    permission_required = ("customers.view_customer", "customers.view_contactpolicy")
    customer_related = ("branch",)
    template_name = "customers/consent/section.html"

    def get_context_data(self, **kwargs):
        context = sections.consent_context(self.customer, self.request.user)
        return super().get_context_data(customer=self.customer, **context, **kwargs)


def section_url(customer):
    return f"{customer.get_absolute_url()}#section-consent"


class ContactPolicyView(CustomerRouteMixin, ServiceFormView):
    permission_required = ("customers.view_customer", "customers.change_contactpolicy")
    customer_related = PROFILE_RELATED
    edits_customer = True
    form_class = ContactPolicyForm
    template_name = "customers/consent/form.html"

    def get_form_kwargs(self):
        policy = services.policy_of(self.customer)
        initial = {name: getattr(policy, name) for name in services.POLICY_FIELDS}
        initial.update({name: getattr(self.customer, name) for name in services.CUSTOMER_FIELDS})
        return {"initial": initial, **super().get_form_kwargs()}

    def perform(self, form):
        return services.set_policy(self.customer, self.request.user, **form.cleaned_data)

    def get_success_message(self, result):
        return _("The contact policy of %(customer)s was saved.") % {"customer": self.customer}

    def get_success_url(self, result):
        return section_url(self.customer)

    def get_title(self):
        return _("Consent and contact: %(customer)s") % {"customer": self.customer}

    def get_context_data(self, **kwargs):
        return super().get_context_data(customer=self.customer, back_url=section_url(self.customer), **kwargs)
