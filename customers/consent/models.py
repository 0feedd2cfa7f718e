"""The contact policy of a customer: consent to marketing, opt-out of service messages, and the
customer's own language and time zone for messages (empty: the bank's first language, the owning
branch's zone). Do-not-contact, no SMS and no e-mail stay on the customer (customers.master).
Issue 15 reuses this as "the contact policy"."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.master.models import Customer, CustomerChildQuerySet
from sysadmin.org.models import validate_timezone


class ContactPolicy(models.Model):
    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    customer = models.OneToOneField(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contact_policy")
    marketing_consent = models.BooleanField(_("agrees to marketing messages"), default=False)
    service_opt_out = models.BooleanField(_("opted out of service messages"), default=False)
    language = models.CharField(_("language of messages"), max_length=10, choices=settings.LANGUAGES, blank=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_timezone],
        help_text=_("Leave empty to use the owning branch's time zone."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("updated by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact policy")
        verbose_name_plural = _("contact policies")

    def __str__(self):
        return str(self.customer_id)


class ContactLog(models.Model):
    """One contact of a customer by any campaign or channel: what the frequency cap and the
    "not within D days of campaign X" rule count. Written set-based by the launch of a campaign
    (marketing.campaigns), one row per customer, channel and source."""

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contact_logs")
    channel = models.CharField(_("channel"), max_length=20)
    source = models.CharField(_("source"), max_length=60)  # "campaign:<id>"
    contacted_at = models.DateTimeField(_("contacted"))

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["customer", "contacted_at"], name="contactlog_customer_at"),
            models.Index(fields=["source", "customer"], name="contactlog_source_customer"),
        ]
        constraints = [models.UniqueConstraint(fields=["customer", "source", "channel"], name="contactlog_once_per_source")]

    def __str__(self):
        return f"{self.customer_id}:{self.source}"
