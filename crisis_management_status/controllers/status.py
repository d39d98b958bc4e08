"""The public status page: the published crises of a company, for anyone.

``/status`` is the main company's page, ``/status/company/<id>`` another
company's, ``/status/<id>`` one crisis and its timeline. Everything is read as
superuser, so only what the page shows is read: published, real crises of the
chosen company whose statement is approved, their customer-facing title,
customer status and statement, and the customer updates marked public.
"""

import hashlib
import time
from datetime import timedelta

import pytz

from odoo import fields, http
from odoo.http import request
from odoo.tools import SQL, format_datetime

from odoo.addons.crisis_management.controllers.utils import is_id

# resolved crises stay on the page this long after their resolution
HISTORY_DAYS = 90
# how long browsers and proxies may keep a page without asking again
MAX_AGE = 30
# the values of the pages kept per worker: {key: (deadline, etag, values)}; a
# key holds the versions of the rows shown, the deadline bounds what the key
# cannot see (translations of the status words loaded meanwhile)
_VALUES = {}
CACHE_SIZE = 256
CACHE_SECONDS = 300

CRISIS_FIELDS = ["public_title", "customer_status", "public_statement", "date_resolved"]
UPDATE_FIELDS = ["crisis_id", "name", "date_sent", "body"]
STATUS_CLASSES = {
    "investigating": "text-bg-danger",
    "identified": "text-bg-warning",
    "monitoring": "text-bg-info",
    "resolved": "text-bg-success",
}


class CrisisStatusPage(http.Controller):
    @http.route(
        ["/status", "/status/company/<int:company_id>"],
        type="http",
        auth="public",
        website=True,
        readonly=True,
        # a page for anyone, cached by proxies: no session cookie in it
        save_session=False,
    )
    def crisis_status(self, company_id=None, **kwargs):
        company = self._status_company(company_id)
        return self._status_respond(
            "crisis_management_status.crisis_status_page",
            company,
            self._status_crises_domain(company),
        )

    @http.route(
        "/status/<int:crisis_id>",
        type="http",
        auth="public",
        website=True,
        readonly=True,
        save_session=False,
    )
    def crisis_status_crisis(self, crisis_id, **kwargs):
        if not is_id(crisis_id):
            raise request.not_found()
        crisis = request.env["crisis.crisis"].sudo().browse(crisis_id)
        crisis = crisis.search(self._status_domain() + [("id", "=", crisis_id)])
        if not crisis:
            raise request.not_found()
        return self._status_respond(
            "crisis_management_status.crisis_status_crisis",
            crisis.company_id,
            self._status_domain() + [("id", "=", crisis.id)],
            timeline=True,
        )

    # ------------------------------------------------------------------
    # What the page shows
    # ------------------------------------------------------------------

    def _status_company(self, company_id):
        Company = request.env["res.company"].sudo()
        if company_id is None:
            company = request.env.ref("base.main_company", raise_if_not_found=False)
            return (company or Company.search([], order="id", limit=1)).sudo()
        company = Company.browse(company_id).exists() if is_id(company_id) else None
        if not company:
            raise request.not_found()
        return company

    def _status_domain(self):
        """The crises anyone may read of: published, and they may speak to
        their customers (the gate as a domain: real, statement approved)."""
        return request.env["crisis.crisis"]._crisis_status_domain()

    def _status_crises_domain(self, company):
        """The company's crises on its page: open ones, and those resolved lately."""
        # from midnight: the same page all day long
        since = fields.Datetime.to_datetime(fields.Date.today()) - timedelta(days=HISTORY_DAYS)
        return self._status_domain() + [
            ("company_id", "=", company.id),
            "|",
            ("date_resolved", "=", False),
            ("date_resolved", ">=", since),
        ]

    def _status_tz(self):
        tz = request.httprequest.cookies.get("tz")
        return tz if tz in pytz.all_timezones_set else "UTC"

    def _status_values(self, domain, timeline=False):
        """The values the templates render: only the fields shown, read as superuser."""
        env = request.env
        crises = (
            env["crisis.crisis"]
            .sudo()
            .search(domain, order="date_resolved desc, date_declared desc, id desc")
        )
        tz = self._status_tz()
        labels = dict(env["crisis.stage"]._fields["customer_status"]._description_selection(env))
        updates_by_crisis = {crisis_id: [] for crisis_id in crises.ids}
        for update in (
            env["crisis.update"]
            .sudo()
            .search_read(
                [
                    ("crisis_id", "in", crises.ids),
                    ("is_public", "=", True),
                    ("state", "!=", "cancelled"),
                ],
                UPDATE_FIELDS,
                order="date_sent asc, id asc" if timeline else "date_sent desc, id desc",
                load=None,
            )
        ):
            update["date"] = format_datetime(env, update["date_sent"], tz=tz)
            updates_by_crisis[update["crisis_id"]].append(update)
        rows = []
        for crisis in crises.read(CRISIS_FIELDS, load=None):
            rows.append(
                {
                    **crisis,
                    "status_label": labels.get(crisis["customer_status"], ""),
                    "status_class": STATUS_CLASSES.get(crisis["customer_status"], "text-bg-light"),
                    "resolved_on": crisis["date_resolved"]
                    and format_datetime(env, crisis["date_resolved"], tz=tz),
                    "updates": updates_by_crisis[crisis["id"]],
                }
            )
        return {
            "open": [row for row in rows if not row["date_resolved"]],
            "resolved": [row for row in rows if row["date_resolved"]],
            "crisis": rows[0] if timeline and rows else None,
            "tz": tz,
        }

    def _status_feed_links(self, company, crisis=None):
        """The Atom feed and JSON summary of a page (``crisis``: a row of one
        crisis' page), in the page's language, for the ``<head>`` of the page."""
        if crisis:
            base = f"/status/{crisis['id']}"
            title = request.env._("%(title)s: updates", title=crisis["public_title"])
        else:
            main = request.env.ref("base.main_company", raise_if_not_found=False)
            base = "/status" if company == main else f"/status/company/{company.id}"
            title = request.env._("Status of %(company)s: updates", company=company.name)
        query = (
            f"?lang={request.env.lang}" if request.params.get("lang") == request.env.lang else ""
        )
        return {
            "atom": f"{base}/feed.atom{query}",
            "atom_title": title,
            "json": f"{base}/summary.json{query}",
        }

    # ------------------------------------------------------------------
    # Language, caching
    # ------------------------------------------------------------------

    def _status_lang(self):
        """``?lang=zh_CN`` over the frontend's language (URL prefix, cookie)."""
        code = request.params.get("lang")
        if code and code in dict(request.env["res.lang"].get_installed()):
            request.lang = request.env["res.lang"]._get_data(code=code)
            request.update_context(lang=code)
        return request.env.lang

    def _status_version(self, domain, company):
        """The versions of the rows the page shows, in one query: the crises,
        their stages, their public updates, the company. A row's version
        (``xmin``, ``ctid``) changes with each update of it, whatever the order
        in which transactions commit."""
        crises = request.env["crisis.crisis"].sudo()._search(domain).subselect()
        request.env.cr.execute(
            SQL(
                """
                SELECT (SELECT string_agg(concat_ws(':', crisis.id, crisis.xmin, crisis.ctid,
                                                    stage.xmin, stage.ctid), ','
                                          ORDER BY crisis.id)
                          FROM crisis_crisis crisis
                          JOIN crisis_stage stage ON stage.id = crisis.stage_id
                         WHERE crisis.id IN %(crises)s),
                       (SELECT string_agg(concat_ws(':', upd.id, upd.xmin, upd.ctid), ','
                                          ORDER BY upd.id)
                          FROM crisis_update upd
                         WHERE upd.crisis_id IN %(crises)s AND upd.is_public),
                       (SELECT concat_ws(':', xmin, ctid) FROM res_company WHERE id = %(company)s)
                """,
                crises=crises,
                company=company.id,
            )
        )
        return request.env.cr.fetchone()

    def _status_respond(self, template, company, domain, timeline=False):
        """The page, or 304 when the visitor has it already.

        The values of a page are kept per worker for the version of its rows
        (one query tells it): a page asked again and again is neither read nor
        rendered again (``t-cache``) until one of them changes.
        """
        lang = self._status_lang()
        public = request.env.user._is_public()
        key = (
            # databases made from one template share their row versions
            request.env.cr.dbname,
            template,
            company.id,
            repr(domain),
            lang,
            self._status_tz(),
            fields.Date.today(),
            self._status_version(domain, company),
        )
        cached = _VALUES.get(key)
        if cached and cached[0] > time.monotonic():
            etag, values = cached[1:]
        else:
            etag = hashlib.sha1(repr(key).encode()).hexdigest()
            values = self._status_values(domain, timeline=timeline)
            if len(_VALUES) >= CACHE_SIZE:
                _VALUES.clear()
            _VALUES[key] = (time.monotonic() + CACHE_SECONDS, etag, values)
        if not public:
            # the header names a signed-in visitor: their page is theirs only
            etag = hashlib.sha1(f"{etag}:{request.env.uid}".encode()).hexdigest()
        if public:
            # a page proxies may keep for everyone carries no cookie: not the
            # frontend language Odoo's routing remembers for the visitor
            # (``?lang=`` and the visitor's own cookie choose the language)
            request.future_response.headers.remove("Set-Cookie")
        headers = [
            ("ETag", f'"{etag}"'),
            ("Cache-Control", f"public, max-age={MAX_AGE}" if public else "private, no-cache"),
            ("Vary", "Cookie"),
        ]
        if request.httprequest.if_none_match.contains_weak(etag):
            return request.make_response("", headers=headers, status=304)
        if timeline and not values["crisis"]:
            raise request.not_found()
        return request.render(
            template,
            {
                # the feeds and the summary of the page, advertised in its head
                "feed_links": self._status_feed_links(company, timeline and values["crisis"]),
                "company": company,
                "res_company": company,
                # rendered once per worker and version
                "cache_key": etag,
                "status": values,
            },
            headers=headers,
        )
