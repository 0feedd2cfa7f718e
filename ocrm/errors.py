"""Domain errors: what a service raises when it will not do what it was asked, whoever asked
(a page, Django admin, the channel API, a Celery task). Services know nothing of HTTP; the
edge decides what each error becomes.

* NotVisible: the object is outside the user's data scope, or does not exist. The two are one
  error on purpose: telling them apart would tell a user that something exists where they
  may not look. Every page answers 404 for it (ocrm.middleware.NotVisibleMiddleware, the one
  place that maps it); a task lets it fail its run.
* Refused: a business rule refused the action; str(error) is the message for the person
  (e.g. a merge of customers of two banks). Pages show it as an error message.
* Django's ValidationError: the input broke a rule; an error dict names the fields at fault.
  Pages put it on the form (ocrm.pages.add_errors) or show it as a message.
* Django's PermissionDenied: the user may not do this at all (403).
"""


class DomainError(Exception):
    """The root of the errors a service raises on purpose (besides Django's own)."""


class NotVisible(DomainError):
    """This object is outside the user's data scope, or does not exist."""


class Refused(DomainError):
    """A business rule refused the action; the message says why, for the person who asked."""


def messages_of(error):
    """The readable messages of a ValidationError, a DomainError or a PermissionDenied."""
    messages = getattr(error, "messages", None)
    if messages is not None:
        return [str(message) for message in messages]
    text = str(error)
    return [text] if text else []
