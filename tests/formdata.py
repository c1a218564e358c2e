"""Read a page's form the way a browser would submit it, to post back exactly what was rendered.

``form_data(html)`` parses the page's first ``method="post"`` form in ``<main>`` (or the one whose ``action`` ends with
``action=``) and returns ``{name: [values]}``: text, hidden and other inputs with their value,
checked check boxes and radios, each select's selected options (the first option when none is
selected and the select takes one value, as browsers do), and each textarea's text. Buttons and
file inputs are left out. The standard library's HTML parser only, so any page can be read.
"""

from __future__ import annotations

from html.parser import HTMLParser

SKIPPED_TYPES = {"submit", "button", "reset", "image", "file"}


class _FormParser(HTMLParser):
    def __init__(self, action: str | None):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.forms: list[list[tuple[str, str]]] = []
        self._fields: list[tuple[str, str]] | None = None
        self._select: dict | None = None
        self._option: dict | None = None
        self._textarea: dict | None = None
        self._in_main = False

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "main":
            self._in_main = True
        if tag == "form":
            wanted = self._in_main and a.get("method", "get").lower() == "post"
            if self.action is not None:
                wanted = a.get("action", "").endswith(self.action)
            self._fields = [] if wanted else None
            return
        if self._fields is None or "disabled" in a:
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in SKIPPED_TYPES or not a.get("name"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._fields.append((a["name"], a.get("value", "on")))
                return
            self._fields.append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "multiple": "multiple" in a, "options": []}
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}
            self._select["options"].append(self._option)
        elif tag == "textarea" and a.get("name"):
            self._textarea = {"name": a["name"], "text": ""}

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag):
        if tag == "option":
            self._option = None
        elif tag == "select" and self._select is not None:
            options = self._select["options"]
            chosen = [o for o in options if o["selected"]]
            if not chosen and options and not self._select["multiple"]:
                chosen = options[:1]
            for o in chosen:
                value = o["value"] if o["value"] is not None else o["text"].strip()
                self._fields.append((self._select["name"], value))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = self._textarea["text"]
            # A browser drops one newline straight after <textarea>.
            self._fields.append((self._textarea["name"], text[1:] if text[:1] == "\n" else text))
            self._textarea = None
        elif tag == "form" and self._fields is not None:
            self.forms.append(self._fields)
            self._fields = None


def form_fields(html: str, action: str | None = None) -> list[tuple[str, str]]:
    """The (name, value) pairs the form would submit, in document order."""
    parser = _FormParser(action)
    parser.feed(html if isinstance(html, str) else html.decode())
    if not parser.forms:
        raise AssertionError(
            f"No form {'with action ' + action if action else 'to post'} on the page"
        )
    return parser.forms[0]


def form_data(html, action: str | None = None) -> dict[str, list[str]]:
    """The form as the test client's ``post(url, data)`` takes it: every name with its values."""
    data: dict[str, list[str]] = {}
    for name, value in form_fields(html, action):
        data.setdefault(name, []).append(value)
    return data


def post_back_unchanged(client, url: str, action: str | None = None):
    """Open ``url``, then post its form back exactly as rendered; returns (form data, response)."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    data = form_data(page.content.decode(), action)
    return data, client.post(url, data)
