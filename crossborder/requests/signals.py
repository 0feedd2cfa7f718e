"""What the cross-border requests area tells the rest of the app.

`request_completed` is sent (after commit) when a cross-border request is completed with a fee:
profit sharing listens and books the revenue event it shares, so the requests area never
writes profit-sharing rows and profit sharing never reads the requests' internals.

Keyword arguments sent:
    bank_id            the bank of the requesting (originating) branch
    request_id         the request's primary key (the revenue event's source reference)
    originating_branch_id, servicing_branch_id, servicing_bank_id
    customer_id        the customer served (of the originating bank)
    fee_type           e.g. "crossborder_service"
    amount_minor       the fee in minor units (int), currency the ISO code
    currency
    booked_on          the local business date of completion at the servicing branch
"""

from django.dispatch import Signal

request_completed = Signal()
