from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request
from odoo.tools import format_datetime

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager


class CrisisPortal(CustomerPortal):
    """The affected customer's page: the crisis as the customer may read it."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "crisis_count" in counters:
            # sudo: portal users have no access right on the lines; the domain
            # is their commercial entity's visible lines
            Impact = request.env["crisis.impact"]
            values["crisis_count"] = (
                Impact.sudo().search_count(
                    Impact._crisis_portal_domain(request.env.user.partner_id)
                )
                if not request.env.user._is_public()
                else 0
            )
        return values

    @http.route(
        ["/my/crises", "/my/crises/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_crises(self, page=1, **kw):
        Impact = request.env["crisis.impact"]
        domain = Impact._crisis_portal_domain(request.env.user.partner_id)
        # sudo: the domain limits the lines to the user's commercial entity
        Impact = Impact.sudo()
        pager = portal_pager(
            url="/my/crises",
            total=Impact.search_count(domain),
            page=page,
            step=self._items_per_page,
        )
        impacts = Impact.search(
            domain, order="id desc", limit=self._items_per_page, offset=pager["offset"]
        )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "crisis",
                "pager": pager,
                "default_url": "/my/crises",
                "crisis_lines": [self._crisis_line_summary(impact) for impact in impacts],
            }
        )
        request.session["my_crises_history"] = impacts.ids[:100]
        return request.render("crisis_management.portal_my_crises", values)

    @http.route(["/my/crises/<int:impact_id>"], type="http", auth="public", website=True)
    def portal_crisis_page(self, impact_id, access_token=None, **kw):
        try:
            impact_sudo = self._crisis_impact_check_access(impact_id, access_token)
        except (AccessError, MissingError):
            if request.env.user._is_public() and not access_token:
                return request.redirect(f"/web/login?redirect=/my/crises/{impact_id}")
            return request.redirect("/my")
        lang = impact_sudo.partner_id.lang
        if request.env.user._is_public() and lang in dict(request.env["res.lang"].get_installed()):
            # the visitor of the emailed link reads the page in the customer's language
            request.update_context(lang=lang)
        values = self._crisis_page_values(impact_sudo, access_token, **kw)
        return request.render("crisis_management.portal_crisis_page", values)

    # ------------------------------------------------------------------
    # Access and values
    # ------------------------------------------------------------------

    def _crisis_impact_check_access(self, impact_id, access_token=None):
        """The line ``impact_id``, as superuser, if the visitor may see it.

        Odoo's check first (the user's rights, else the line's token); else a
        logged-in user sees the lines of their commercial entity. Whoever
        asks, a drill's line or the line of a crisis whose statement is not
        approved is not shown.

        :raise AccessError, MissingError: the visitor may not see the line
        """
        Impact = request.env["crisis.impact"]
        try:
            impact_sudo = self._document_check_access(
                "crisis.impact", impact_id, access_token=access_token
            )
        except AccessError:
            if request.env.user._is_public():
                raise
            domain = [("id", "=", impact_id)] + Impact._crisis_portal_domain(
                request.env.user.partner_id
            )
            # sudo: the domain is the user's commercial entity's lines
            impact_sudo = Impact.sudo().search(domain)
            if not impact_sudo:
                raise
        visible = [("id", "=", impact_sudo.id)] + Impact._crisis_portal_visible_domain()
        if not Impact.sudo().search_count(visible):
            raise AccessError(request.env._("This page is not available."))
        return impact_sudo

    def _crisis_line_summary(self, impact_sudo):
        """What the list of ``/my/crises`` shows of a line (the lines are sudo)."""
        crisis = impact_sudo.crisis_id
        statuses = dict(crisis._fields["customer_status"]._description_selection(request.env))
        return {
            "url": impact_sudo.access_url,
            "title": crisis.public_title,
            "reference": crisis.reference,
            "customer": impact_sudo.partner_id.name,
            "status": statuses.get(crisis.customer_status, ""),
            "date_last_contact": impact_sudo.date_last_contact,
        }

    def _crisis_page_values(self, impact_sudo, access_token, **kw):
        """Only what the page renders, read as superuser after the access check."""
        env = request.env
        impact_sudo = impact_sudo.with_context(lang=env.lang)
        crisis = impact_sudo.crisis_id
        company = impact_sudo.company_id
        partner = impact_sudo.partner_id
        tz = partner.tz or env.user.tz or "UTC"
        statuses = dict(crisis._fields["customer_status"]._description_selection(env))
        statement = crisis.public_statement if crisis.statement_state == "approved" else False
        updates = []
        for update in impact_sudo._crisis_portal_sent_updates():
            if update.kind == "satisfaction":
                body, is_statement = False, False
            elif update.body_is_statement:
                # each customer was sent the statement in their language: shown above
                body, is_statement = False, True
            else:
                body, is_statement = update.body, False
            updates.append(
                {
                    "subject": update.name,
                    "date": format_datetime(env, update.date_sent, tz=tz, dt_format="medium"),
                    "body": body,
                    "is_statement": is_statement,
                }
            )
        date_next = False
        if crisis.date_next_update and not crisis.is_resolved:
            date_next = format_datetime(env, crisis.date_next_update, tz=tz, dt_format="medium")
        token = impact_sudo._portal_ensure_token()
        values = {
            "page_name": "crisis_page",
            "crisis_title": crisis.public_title,
            "crisis_reference": crisis.reference,
            "customer_status": crisis.customer_status,
            "customer_status_label": statuses.get(crisis.customer_status, ""),
            "is_resolved": crisis.is_resolved,
            "statement": statement,
            "updates": updates,
            "date_next_update": date_next,
            "company_name": company.name,
            "company_email": company.email,
            "company_phone": company.phone,
            "agent_name": impact_sudo.user_id.name,
            "customer_name": partner.name,
        }
        values = self._get_page_view_values(
            impact_sudo, access_token, values, "my_crises_history", False, **kw
        )
        # the chatter reads and posts with the line's token: portal users have
        # no right on the lines themselves
        values["token"] = token
        return values
