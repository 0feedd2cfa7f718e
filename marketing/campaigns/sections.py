"""The campaigns section of the 360° page: the launched campaigns this customer is a target of
that the user may see (their own customers), each with the response buttons. One query, when the
section loads after the page (deferred)."""

from django.utils.translation import gettext_lazy

from customers.profile import sections
from marketing.campaigns.models import Campaign, CampaignMember
from ocrm import reporting

SECTION_ROWS = 10


def campaigns_section_context(customer, user):
    rows = list(
        CampaignMember.objects.visible_to(user)
        .filter(customer=customer, excluded_by="", arm=CampaignMember.Arm.TARGET, campaign__status=Campaign.Status.LAUNCHED)
        .select_related("campaign")
        .order_by("-campaign__starts_on")[:SECTION_ROWS]
    )
    return {"members": rows, "responses": [c for c in CampaignMember.Response.choices if c[0]]}


def register_sections():
    sections.register(
        "campaigns",
        gettext_lazy("Campaigns"),
        "marketing/campaigns/section.html",
        campaigns_section_context,
        order=88,
        perm="marketing.respond_campaign",
        # Below the fold: its query through the members' scope was ~8% of the 360 page's time (issue 19).
        deferred=True,
    )


def register_measures():
    reporting.register_measure(
        reporting.Measure(
            key="campaigns.responses",
            label=gettext_lazy("Campaign responses"),
            unit=reporting.Measure.COUNT,
            sql="""SELECT m.branch_id, m.manager_id, count(*) AS value
                     FROM marketing_campaignmember m JOIN marketing_campaign c ON c.id = m.campaign_id
                    WHERE c.bank_id = %(bank_id)s AND m.response <> ''
                      AND m.responded_at >= %(day_start)s AND m.responded_at < %(day_end)s
                    GROUP BY 1, 2""",
        )
    )
    reporting.register_measure(
        reporting.Measure(
            key="campaigns.conversions",
            label=gettext_lazy("Campaign conversions"),
            unit=reporting.Measure.COUNT,
            sql="""SELECT c.branch_id, c.manager_id, count(*) AS value
                     FROM customers_marketingcredit c
                    WHERE c.bank_id = %(bank_id)s AND c.source LIKE 'campaign:%%'
                      AND c.credited_at >= %(day_start)s AND c.credited_at < %(day_end)s
                    GROUP BY 1, 2""",
        )
    )
