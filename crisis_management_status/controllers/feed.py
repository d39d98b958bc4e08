"""The status page for machines: Atom feeds and a JSON summary.

``/status/feed.atom`` (``/status/company/<id>/feed.atom``) is the feed of a
company's page: the public updates of the crises it shows, newest first;
``/status/<id>/feed.atom`` one crisis' (RFC 4287). ``/status/summary.json``
(``/status/company/<id>/summary.json``, ``/status/<id>/summary.json``) is
what the page shows, as JSON, for anyone (CORS). They read what the page
reads (published, real crises whose statement is approved, updates marked
public), in the page's language (``?lang=zh_CN``), as superuser; they are
cached by browsers and proxies for a minute, with an ETag.
"""

import hashlib
import json
import re
from urllib.parse import urlsplit

from lxml import etree

from odoo import fields, http
from odoo.http import request

from odoo.addons.crisis_management.controllers.utils import is_id

from .status import CrisisStatusPage

# entries of a feed, updates of a crisis in the summary
FEED_LIMIT = 50
MAX_AGE = 60
ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
CORS_HEADERS = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "GET, OPTIONS"),
    ("Access-Control-Allow-Headers", "Accept, If-None-Match"),
    ("Access-Control-Expose-Headers", "ETag"),
]
# the characters XML 1.0 cannot carry (lxml refuses them)
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

FEED_ROUTE = {
    "type": "http",
    "auth": "public",
    "website": True,
    "readonly": True,
    "save_session": False,
    "methods": ["GET", "OPTIONS"],
}


def rfc3339(value):
    """``value`` (a naive UTC datetime) as RFC 3339, UTC."""
    return fields.Datetime.to_datetime(value).replace(microsecond=0).isoformat() + "Z"


def xml_text(value):
    return NOT_XML.sub("", value or "")


class CrisisStatusFeed(CrisisStatusPage):
    # ------------------------------------------------------------------
    # Atom
    # ------------------------------------------------------------------

    @http.route(["/status/feed.atom", "/status/company/<int:company_id>/feed.atom"], **FEED_ROUTE)
    def crisis_status_feed(self, company_id=None, **kwargs):
        if request.httprequest.method == "OPTIONS":
            return self._feed_preflight()
        company = self._feed_company(company_id)
        if not company:
            raise request.not_found()
        self._status_lang()
        crises = request.env["crisis.crisis"].sudo().search(self._status_crises_domain(company))
        page = "/status" if company_id is None else f"/status/company/{company.id}"
        body = self._feed_atom(
            company,
            crises,
            feed_id=self._feed_tag(company.create_date, f"company/{company.id}"),
            title=request.env._("Status of %(company)s", company=company.name),
            page=page,
            with_crisis=True,
        )
        return self._feed_response(body, ATOM_TYPE)

    @http.route("/status/<int:crisis_id>/feed.atom", **FEED_ROUTE)
    def crisis_status_crisis_feed(self, crisis_id, **kwargs):
        if request.httprequest.method == "OPTIONS":
            return self._feed_preflight()
        crisis = self._feed_crisis(crisis_id)
        if not crisis:
            raise request.not_found()
        self._status_lang()
        crisis = crisis.with_env(request.env(su=True))
        body = self._feed_atom(
            crisis.company_id,
            crisis,
            feed_id=self._feed_tag(crisis.create_date, f"crisis/{crisis.id}"),
            title=crisis.public_title or crisis.reference,
            page=f"/status/{crisis.id}",
        )
        return self._feed_response(body, ATOM_TYPE)

    def _feed_atom(self, company, crises, feed_id, title, page, with_crisis=False):
        """The Atom feed (bytes) of the public updates of ``crises``, newest first."""
        base = company.get_base_url()
        query = self._feed_query()
        updates = self._feed_updates(crises, limit=FEED_LIMIT)
        dates = [update.date_sent for update in updates] or [
            crisis.date_published for crisis in crises if crisis.date_published
        ]
        updated = max(dates) if dates else company.create_date

        def sub(parent, tag, text=None, **attributes):
            element = etree.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attributes)
            if text is not None:
                element.text = xml_text(text)
            return element

        feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
        feed.set(XML_LANG, (request.env.lang or "en_US").replace("_", "-"))
        sub(feed, "id", feed_id)
        sub(feed, "title", title, type="text")
        sub(feed, "updated", rfc3339(updated))
        sub(feed, "link", rel="alternate", type="text/html", href=f"{base}{page}{query}")
        sub(
            feed,
            "link",
            rel="self",
            type="application/atom+xml",
            href=f"{base}{request.httprequest.path}{query}",
        )
        author = sub(feed, "author")
        sub(author, "name", company.name)
        sub(author, "uri", f"{base}{page}")
        sub(feed, "generator", "Odoo", uri="https://www.odoo.com")
        for update in updates:
            crisis = update.crisis_id
            entry = sub(feed, "entry")
            sub(entry, "id", self._feed_tag(update.create_date, f"update/{update.id}"))
            entry_title = update.name or ""
            if with_crisis:
                entry_title = request.env._(
                    "%(crisis)s: %(update)s", crisis=crisis.public_title, update=entry_title
                )
            sub(entry, "title", entry_title, type="text")
            sub(entry, "published", rfc3339(update.date_sent))
            sub(entry, "updated", rfc3339(update.date_sent))
            sub(
                entry,
                "link",
                rel="alternate",
                type="text/html",
                href=f"{base}/status/{crisis.id}{query}#update-{update.id}",
            )
            sub(entry, "category", term=str(crisis.id), label=xml_text(crisis.public_title))
            sub(entry, "content", update.body or "", type="html")
        return etree.tostring(feed, xml_declaration=True, encoding="utf-8")

    def _feed_tag(self, date, path):
        """A stable ``tag:`` URI (RFC 4151) of this database's site."""
        host = urlsplit(request.env["ir.config_parameter"].sudo().get_param("web.base.url", ""))
        authority = host.hostname or "localhost"
        return f"tag:{authority},{fields.Date.to_string(date.date())}:crisis-status/{path}"

    # ------------------------------------------------------------------
    # JSON
    # ------------------------------------------------------------------

    @http.route(
        ["/status/summary.json", "/status/company/<int:company_id>/summary.json"], **FEED_ROUTE
    )
    def crisis_status_summary(self, company_id=None, **kwargs):
        if request.httprequest.method == "OPTIONS":
            return self._feed_preflight()
        company = self._feed_company(company_id)
        if not company:
            return self._feed_json_not_found()
        lang = self._status_lang()
        crises = (
            request.env["crisis.crisis"]
            .sudo()
            .search(
                self._status_crises_domain(company),
                order="date_resolved desc, date_declared desc, id desc",
            )
        )
        page = "/status" if company_id is None else f"/status/company/{company.id}"
        data = {
            "company": {
                "id": company.id,
                "name": company.name,
                "url": f"{company.get_base_url()}{page}",
            },
            "lang": lang,
            "crises": crises._crisis_status_data(updates=self._feed_updates(crises)),
        }
        return self._feed_json(data)

    @http.route("/status/<int:crisis_id>/summary.json", **FEED_ROUTE)
    def crisis_status_crisis_summary(self, crisis_id, **kwargs):
        if request.httprequest.method == "OPTIONS":
            return self._feed_preflight()
        crisis = self._feed_crisis(crisis_id)
        if not crisis:
            return self._feed_json_not_found()
        lang = self._status_lang()
        crisis = crisis.with_env(request.env(su=True))
        company = crisis.company_id
        data = {
            "company": {
                "id": company.id,
                "name": company.name,
                "url": f"{company.get_base_url()}/status/company/{company.id}",
            },
            "lang": lang,
            "crisis": crisis._crisis_status_data(updates=self._feed_updates(crisis))[0],
        }
        return self._feed_json(data)

    def _feed_json(self, data, status=200):
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        return self._feed_response(body, JSON_TYPE, status=status)

    def _feed_json_not_found(self):
        return self._feed_json(
            {
                "error": {
                    "code": 404,
                    "message": request.env._("No published crisis or status page here."),
                }
            },
            status=404,
        )

    # ------------------------------------------------------------------
    # What they read, how they answer
    # ------------------------------------------------------------------

    def _feed_company(self, company_id):
        """The company of the page (the main one by default), or None."""
        if company_id is not None and not is_id(company_id):
            return None
        if company_id is None:
            return self._status_company(None)
        return request.env["res.company"].sudo().browse(company_id).exists() or None

    def _feed_crisis(self, crisis_id):
        """The crisis ``crisis_id`` as superuser if the status page shows it, or None."""
        if not is_id(crisis_id):
            return None
        return (
            request.env["crisis.crisis"]
            .sudo()
            .search(self._status_domain() + [("id", "=", crisis_id)], limit=1)
        ) or None

    def _feed_updates(self, crises, limit=None):
        """The public updates of ``crises`` (as superuser, in the request's
        language), newest first: at most ``limit`` in all, else ``FEED_LIMIT``
        per crisis."""
        updates = (
            request.env["crisis.update"]
            .sudo()
            .search(
                [
                    ("crisis_id", "in", crises.ids),
                    ("is_public", "=", True),
                    ("state", "!=", "cancelled"),
                ],
                order="date_sent desc, id desc",
                limit=limit,
            )
        )
        if limit:
            return updates
        kept = updates.browse()
        for _crisis, group in updates.grouped("crisis_id").items():
            kept |= group[:FEED_LIMIT]
        return updates & kept

    def _feed_query(self):
        """The language asked for (``?lang=``), for the links of a feed."""
        lang = request.env.lang
        return f"?lang={lang}" if request.params.get("lang") == lang else ""

    def _feed_preflight(self):
        request.future_response.headers.remove("Set-Cookie")
        return request.make_response(
            "", headers=[*CORS_HEADERS, ("Access-Control-Max-Age", "86400")], status=204
        )

    def _feed_response(self, body, content_type, status=200):
        """``body`` for anyone, cached a minute, or 304 when the reader has it."""
        etag = hashlib.sha256(body).hexdigest()[:40]
        headers = [
            *CORS_HEADERS,
            ("Content-Type", content_type),
            ("ETag", f'"{etag}"'),
            ("Cache-Control", f"public, max-age={MAX_AGE}"),
            # the language may come from the cookie or the browser's languages
            ("Vary", "Cookie, Accept-Language"),
            ("X-Content-Type-Options", "nosniff"),
        ]
        # the same answer for everyone: no cookie in it (not even the frontend language)
        request.future_response.headers.remove("Set-Cookie")
        if status == 200 and request.httprequest.if_none_match.contains_weak(etag):
            return request.make_response(b"", headers=headers, status=304)
        return request.make_response(body, headers=headers, status=status)
