"""The audit log (models) and how it is written (services).

The convention, one audit style for every area:

* Each area that has audit events keeps them in its own `events.py`, one small function per
  event type, named after what happened, taking the object and the actor explicitly (Saleor's
  saleor/order/events.py habit):

      def customer_updated(customer, actor, changes, *, change_request=None):
          return audit.record(AuditLog.Action.UPDATE, customer, actor=actor, changes=changes,
                              detail={"event": "customer_updated", "change_request": change_request})

  The function decides the entry's action, object and detail; detail["event"] names the
  event type (the audit page's filters and the tests look for it).
* Services call these functions, inside their transaction, after the change: views, tasks
  and admin never write audit entries of their own, so a page, the API and a batch job
  audit the same action the same way.
* The save/delete safety net (services.register) stays: it catches every single-row change
  no event describes (Django admin, a service that forgot). Where an event describes a row
  change the net would also see, the service saves inside services.written_by_event(Model)
  and the event records the net's shape (services.row_values / created_changes), so the
  audit page shows one entry per change.
"""
