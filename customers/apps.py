from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from ocrm import audit

        from . import (
            detail_sections,  # noqa: F401  (importing it registers the built-in 360 sections)
            models,
            services,
        )
        from .nav import register_nav

        # The safety net: every single-row change of customer data is audited with before/after;
        # contact values are recorded masked (the log says a phone changed, not the number).
        for model in (
            models.Customer,
            models.RetailProfile,
            models.CorporateProfile,
            models.IdentityDocument,
            models.ContactPoint,
            models.Address,
            models.Relationship,
            models.Household,
            models.Holding,
            models.ExternalAsset,
            models.ServiceContact,
            models.CustomerDocument,
            models.CustomerNote,
            models.Tag,
            models.CustomerGroup,
            models.Product,
            models.FxRate,
        ):
            audit.register(
                model,
                exclude=("name_grams", "updated_at", "number_encrypted", "number_hash"),
                masked={"value": mask_contact_value} if model is models.ContactPoint else None,
            )
        register_nav()
        services.register_handlers()

        from . import sharing, views_sharing

        sharing.register_handlers()
        views_sharing.register_section()

        from . import assignment, sections_assignment

        assignment.register_handlers()
        sections_assignment.register_sections()

        from ocrm import inbox

        from . import views_matching

        # Rule edits are audited with before/after; the review queue counts in the approvals inbox.
        audit.register(models.MatchRule)
        inbox.register(
            "merge_review",
            _("Merge reviews"),
            pending=views_matching.pending_for,
            url_name="customers:match_review_list",
            perm=views_matching.REVIEW_PERM,
        )
        register_jobs()


def register_jobs():
    """The customers' batch jobs on the jobs page (sysadmin.jobs): labels, and a start button
    for the jobs whose task takes (business_date, bank_id, run_id)."""
    from sysadmin import jobs

    from . import tasks_assignment, tasks_matching, tasks_sharing
    from .feeds import services as feed_services

    jobs.register(
        jobs.JobSpec(
            tasks_assignment.JOB,
            _("Nightly customer attribution"),
            "customers.tasks_assignment.apply_attribution_rules",
            startable=True,
        ),
        {
            "assigned": _("assigned"),
            "branch_changed": _("branch changed"),
            "in_pool": _("left in the pool"),
            "claims_closed": _("claims closed"),
            "no_rule": _("no attribution rule"),
        },
    )
    jobs.register(
        jobs.JobSpec(tasks_matching.JOB, _("Duplicate customer scan"), "customers.tasks_matching.find_duplicates", startable=True)
    )
    # Hourly and per file: they run on their own schedule, so the page only names them.
    jobs.register(
        jobs.JobSpec(tasks_sharing.JOB, _("Customer share clean-up"), "customers.tasks.clean_up_ended_shares"),
        {"grants_removed": _("grants removed")},
    )
    jobs.register(
        jobs.JobSpec(feed_services.JOB, _("Customer feed load (from the feed inbox)"), "customers.tasks_feeds.load_feed")
    )


def mask_contact_value(value):
    from ocrm import pii

    return pii.mask_email(value) if "@" in str(value) else pii.mask_phone(value)
