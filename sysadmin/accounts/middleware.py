"""Per-user language and time zone, idle and absolute session time-outs, forced password
change, and the second factor."""

import time
import zoneinfo
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ocrm import parameters
from ocrm.navigation import fixed_url
from sysadmin.accounts import mfa
from sysadmin.accounts.language import remember_in_cookie
from sysadmin.accounts.passwords import password_expired
from sysadmin.accounts.signals import LOGOUT_REASON_ATTR


class UserPreferencesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # override(), not activate(): the thread goes back to what it had once the
        # response is made (worker threads serve other users next).
        user = getattr(request, "user", None)
        zone, language = None, translation.get_language()
        if user is not None and user.is_authenticated:
            try:
                zone = zoneinfo.ZoneInfo(user.effective_timezone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                zone = None
            # This browser's choice (the cookie) first, else the profile (sysadmin.accounts.language).
            if user.language and not request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
                language = user.language
        with timezone.override(zone), translation.override(language):
            request.LANGUAGE_CODE = translation.get_language()
            response = self.get_response(request)
        if user is not None and user.is_authenticated:
            remember_in_cookie(request, response, user.language)
        return response


def _always_allowed_prefixes():
    """Paths a user may reach while forced to change the password: the change page
    itself, the second factor (asked first), log-out, the language switch, static files and
    the health check."""
    return (
        fixed_url("password_change"),
        fixed_url("mfa_enrol"),
        fixed_url("mfa_verify"),
        fixed_url("logout"),
        fixed_url("set_language"),
        fixed_url("healthz"),
        settings.STATIC_URL if settings.STATIC_URL.startswith("/") else f"/{settings.STATIC_URL}",
    )


# The idle clock is written at most this often. Writing it on every request saved the whole
# session on every htmx section of a page, and a section that started before a POST, saved after
# it, put back the session as it was: the POST's message (or search) was lost.
LAST_SEEN_STEP_SECONDS = 30


class SessionPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)

        now = time.time()
        idle_limit = parameters.get("session.idle_minutes", user.bank_id) * 60
        last_seen = request.session.get("last_seen")
        if idle_limit and last_seen and now - last_seen > idle_limit:
            setattr(request, LOGOUT_REASON_ATTR, "idle")
            logout(request)
            messages.info(request, _("Your session ended after a period of inactivity. Please log in again."))
            return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")
        if not last_seen or now - last_seen >= LAST_SEEN_STEP_SECONDS:
            request.session["last_seen"] = now

        # However active, a log-in lasts session.max_hours at most (never past the cookie's age).
        max_hours = min(parameters.get("session.max_hours", user.bank_id), settings.SESSION_MAX_HOURS)
        logged_in_at = request.session.get("logged_in_at")
        if not logged_in_at or now - logged_in_at > max_hours * 3600:
            setattr(request, LOGOUT_REASON_ATTR, "session lifetime")
            logout(request)
            messages.info(request, _("Your session reached its time limit. Please log in again."))
            return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")

        if not request.path.startswith(_always_allowed_prefixes()):
            if user.must_change_password:
                messages.warning(request, _("Please choose your own password before you continue."))
                return redirect("password_change")
            if password_expired(user):
                messages.warning(request, _("Your password has expired. Please choose a new one."))
                return redirect("password_change")
        return self.get_response(request)


class SecondFactorMiddleware:
    """Someone who needs a second factor (sysadmin.accounts.mfa) and has not entered a code in
    this session reaches only enrolment or verification, log-out, the language switch and
    static files: every other page, Django admin's included, sends them there."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return self.get_response(request)
        if request.path.startswith(_second_factor_prefixes()) or not mfa.second_factor_needed(user):
            return self.get_response(request)
        target = "mfa_verify" if mfa.confirmed_device(user) is not None else "mfa_enrol"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")


def _second_factor_prefixes():
    return (
        fixed_url("mfa_enrol"),
        fixed_url("mfa_verify"),
        fixed_url("logout"),
        fixed_url("set_language"),
        fixed_url("healthz"),
        settings.STATIC_URL if settings.STATIC_URL.startswith("/") else f"/{settings.STATIC_URL}",
    )
