"""Which language a page is in (docs/authentication.md, "Language"): the newest choice wins.

- This browser's choice - the language cookie, which the switcher sets, on the log-in page or
  any other - comes first;
- a browser that has not chosen shows the browser's own language (Accept-Language) before
  log-in, and the profile's language after it; the log-in then remembers the profile's language
  in the cookie, so the log-in page after a log-out stays in it;
- a choice made with the switcher is also saved to the profile: at once when logged in
  (ocrm.views.set_language), at log-in when it was made on the log-in page (below)."""

from django.conf import settings

from ocrm.views import LANGUAGE_CHOSEN_BEFORE_LOGIN
from sysadmin.org.models import Staff


def save_choice_from_login_page(user, request):
    chosen = request.session.pop(LANGUAGE_CHOSEN_BEFORE_LOGIN, None)
    if chosen in dict(settings.LANGUAGES) and chosen != user.language:
        Staff.objects.filter(pk=user.pk).update(language=chosen)
        user.language = chosen


def remember_in_cookie(request, response, language):
    """A browser that has not chosen a language keeps the profile's from now on."""
    if (
        language
        and not request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        and not response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    ):
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax")
