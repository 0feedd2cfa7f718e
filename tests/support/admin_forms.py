"""What a browser would post back from a Django admin page: the fields of its form as rendered
(inputs, checked boxes, selected options, text areas), so a test can post a valid-looking form
without knowing the admin's fields, inlines or management forms."""

from html.parser import HTMLParser

SKIPPED_TYPES = {"submit", "button", "reset", "file", "image"}


class _FormFields(HTMLParser):
    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = form_id is None
        self.pairs = []
        self._select = None  # [name, multiple, options [(value, selected)]]
        self._option = None
        self._textarea = None  # [name, text parts]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.form_id is not None:
            self.inside = attrs.get("id") == self.form_id
            return
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type", "text") not in SKIPPED_TYPES:
            if attrs.get("type") in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.pairs.append((name, attrs.get("value") or "on"))
            else:
                self.pairs.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self._select = [name, "multiple" in attrs, []]
        elif tag == "option" and self._select is not None:
            self._option = [attrs.get("value"), "selected" in attrs, []]
            self._select[2].append(self._option)
        elif tag == "textarea" and name:
            self._textarea = [name, []]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)
        if self._option is not None:
            self._option[2].append(data)

    def handle_endtag(self, tag):
        if tag == "form" and self.form_id is not None and self.inside:
            self.inside = False
        elif tag == "option":
            self._option = None
        elif tag == "select" and self._select is not None:
            name, multiple, options = self._select
            values = [(value if value is not None else "".join(text)) for value, selected, text in options if selected]
            if not values and options and not multiple:
                value, _selected, text = options[0]
                values = [value if value is not None else "".join(text)]
            self.pairs.extend((name, value) for value in values)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            self.pairs.append((name, "".join(parts).removeprefix("\n")))
            self._textarea = None


def form_pairs(html, form_id=None):
    """[(name, value)] of the form with that id (every field of the page when None)."""
    parser = _FormFields(form_id)
    parser.feed(html)
    return parser.pairs


def form_data(html, form_id=None, **changes):
    """The form as a dict for Client.post (lists where a name repeats), with `changes` applied."""
    data = {}
    for name, value in form_pairs(html, form_id):
        data.setdefault(name, []).append(value)
    data = {name: values if len(values) > 1 else values[0] for name, values in data.items()}
    data.pop("csrfmiddlewaretoken", None)
    data.update(changes)
    return data
