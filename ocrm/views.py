from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ocrm.monitoring.logs import current_request_id
from ocrm.navigation import sections_for

# A language chosen on the log-in page; the log-in saves it to the profile (docs/authentication.md).
LANGUAGE_CHOSEN_BEFORE_LOGIN = "language_chosen_before_login"


@login_required
def home(request):
    return render(request, "home.html", {"sections": sections_for(request.user)})


@require_POST
def set_language(request):
    """Switch the interface language; remembered on the user's profile when logged in."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax")
        user = request.user
        if user.is_authenticated and user.language != language:
            user._meta.model.objects.filter(pk=user.pk).update(language=language)
        elif not user.is_authenticated:
            request.session[LANGUAGE_CHOSEN_BEFORE_LOGIN] = language  # saved to the profile at log-in
    return response


def server_error(request):
    """The 500 page (handler500): Django's, plus the request id under which the logs keep the
    error, and still without a request context (context processors may be what failed)."""
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({"request_id": current_request_id()}))
