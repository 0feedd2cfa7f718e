"""The web server's access log without personal data in it.

gunicorn logs each request line with its query string and the Referer header. A customer page's
query string can carry a searched identity number or phone (an old bookmark, a filter of a
transactions list), and a Referer repeats the address of the page before. This logger class
(`gunicorn --logger-class ocrm.accesslog.PrivateQueryLogger`, set in ocrm/devstack.py) drops
the query string of every request to a customer page, or to any page whose query names a
searched key (ocrm.pii.QUERY_KEYS), in the request line, the %(q)s atom and the Referer.
The pages themselves keep searches out of URLs (customers.master.search.keep_search);
this is the second line."""

import re
import urllib.parse

from gunicorn.glogging import Logger

from ocrm import pii

# Pages whose query strings are never logged: everything about customers, and the audit log's
# own search (an auditor may look for a number).
PRIVATE_PATHS = re.compile(r"^/(customers|sysadmin/audit|admin/customers|admin/ocrm/auditlog)(/|$)")

DROPPED = "?-"  # what stands in the log where a query string was


def is_private(path, query):
    if not query:
        return False
    if PRIVATE_PATHS.match(path or ""):
        return True
    for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        # A searched key, or an address of a private page (the log-in's and idle time-out's next=).
        if key in pii.QUERY_KEYS or (value.startswith("/") and is_private(*urllib.parse.urlsplit(value)[2:4])):
            return True
    return False


def without_private_query(url):
    """`url` (a path with its query, or a full address) without its query when that is private."""
    if not url or "?" not in url:
        return url
    parts = urllib.parse.urlsplit(url)
    if not is_private(parts.path, parts.query):
        return url
    return urllib.parse.urlunsplit(parts._replace(query="", fragment="")) + DROPPED


class PrivateQueryLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        if is_private(environ.get("PATH_INFO"), environ.get("QUERY_STRING")):
            atoms["q"] = ""
            atoms["r"] = "{} {} {}".format(
                environ["REQUEST_METHOD"],
                without_private_query(environ.get("RAW_URI") or environ.get("PATH_INFO")),
                environ["SERVER_PROTOCOL"],
            )
        referer = environ.get("HTTP_REFERER")
        if referer:
            atoms["f"] = atoms["{referer}i"] = without_private_query(referer)
        return atoms
