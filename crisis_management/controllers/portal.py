from odoo import fields, http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request
from odoo.tools import format_amount, format_datetime

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from .utils import is_id, is_token


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
        self._crisis_customer_lang(impact_sudo)
        if not request.env.user._is_internal():
            # the customer read their page (not an agent looking at it): the
            # notices that reached them are opened
            impact_sudo._crisis_portal_opened()
        values = self._crisis_page_values(impact_sudo, access_token, **kw)
        return request.render("crisis_management.portal_crisis_page", values)

    @http.route(
        ["/my/crises/<int:impact_id>/compensation/<int:compensation_id>/accept"],
        type="json",
        auth="public",
        website=True,
    )
    def portal_crisis_compensation_accept(
        self, impact_id, compensation_id, access_token=None, name=None, signature=None
    ):
        """The customer accepts a compensation with their name and, optionally,
        their signature (Odoo's portal signature widget, as a quotation)."""
        # the widget posts to the URL with the token in its query string
        access_token = access_token or request.httprequest.args.get("access_token")
        try:
            impact_sudo, compensation_sudo = self._crisis_compensation_check_access(
                impact_id, compensation_id, access_token
            )
        except (AccessError, MissingError):
            return {"error": request.env._("This compensation is not available.")}
        self._crisis_customer_lang(impact_sudo)
        try:
            # nothing of a refused answer is kept
            with request.env.cr.savepoint():
                compensation_sudo.with_context(lang=request.env.lang)._crisis_portal_accept(
                    name, signature, request.httprequest.remote_addr
                )
        except (UserError, ValidationError) as error:
            return {"error": error.args[0]}
        return {
            "force_refresh": True,
            "redirect_url": impact_sudo.get_portal_url(
                query_string="&message=compensation_accepted", anchor="crisis_compensations"
            ),
        }

    @http.route(
        ["/my/crises/<int:impact_id>/compensation/<int:compensation_id>/decline"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_crisis_compensation_decline(
        self, impact_id, compensation_id, access_token=None, decline_reason=None, **kw
    ):
        """The customer declines a compensation, with a reason: it goes back to the agent."""
        try:
            impact_sudo, compensation_sudo = self._crisis_compensation_check_access(
                impact_id, compensation_id, access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        self._crisis_customer_lang(impact_sudo)
        try:
            with request.env.cr.savepoint():
                compensation_sudo.with_context(lang=request.env.lang)._crisis_portal_decline(
                    decline_reason, request.httprequest.remote_addr
                )
            message = "compensation_declined"
        except (UserError, ValidationError):
            message = "compensation_not_answered"
        return request.redirect(
            impact_sudo.get_portal_url(
                query_string=f"&message={message}", anchor="crisis_compensations"
            )
        )

    # ------------------------------------------------------------------
    # Access and values
    # ------------------------------------------------------------------

    def _crisis_impact_check_access(self, impact_id, access_token=None):
        """The line ``impact_id``, as superuser, if the visitor may see it.

        Odoo's check first (the user's rights, else the line's token); else a
        logged-in user sees the lines of their commercial entity. Whoever
        asks, a drill's line or the line of a crisis whose statement is not
        approved is not shown. An id or a token that cannot be one (out of
        range, not a string, not ASCII) is no line and no token.

        :raise AccessError, MissingError: the visitor may not see the line
        """
        Impact = request.env["crisis.impact"]
        if not is_id(impact_id):
            raise MissingError(request.env._("This page is not available."))
        if not is_token(access_token):
            access_token = None
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

    def _crisis_compensation_check_access(self, impact_id, compensation_id, access_token=None):
        """The line ``impact_id`` and its compensation ``compensation_id``, as
        superuser, if the visitor may see the line (see
        ``_crisis_impact_check_access``) and the compensation is one of those
        its page shows: never another line's (IDOR), nor a request the
        customer was not offered.

        :raise AccessError, MissingError: the visitor may not see them
        """
        impact_sudo = self._crisis_impact_check_access(impact_id, access_token)
        if not is_id(compensation_id):
            raise MissingError(request.env._("This compensation is not available."))
        Compensation = request.env["crisis.compensation"]
        domain = [("id", "=", compensation_id)] + Compensation._crisis_portal_domain(impact_sudo)
        # sudo: the domain is the compensations the line's page shows
        compensation_sudo = Compensation.sudo().search(domain)
        if not compensation_sudo:
            raise MissingError(request.env._("This compensation is not available."))
        return impact_sudo, compensation_sudo

    def _crisis_customer_lang(self, impact_sudo):
        """The visitor of the emailed link reads in the customer's language."""
        lang = impact_sudo.partner_id.lang
        if request.env.user._is_public() and lang in dict(request.env["res.lang"].get_installed()):
            request.update_context(lang=lang)
            # the page's scripts (the chat box of the page) read the session's
            # language: the customer's too, not the server's default
            if request.session.context.get("lang") != lang:
                request.session.context = {**request.session.context, "lang": lang}

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
        # a promised time already past is no promise: the page says "as soon as
        # there is news" rather than a date behind us
        if (
            crisis.date_next_update
            and not crisis.is_resolved
            and crisis.date_next_update > fields.Datetime.now()
        ):
            date_next = format_datetime(env, crisis.date_next_update, tz=tz, dt_format="medium")
        token = impact_sudo._portal_ensure_token()
        user = env.user
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
            # who answers a compensation offer: the logged-in user, else the customer
            "signer_name": partner.name if user._is_public() else user.partner_id.name,
            "compensations": self._crisis_compensation_values(impact_sudo, token, tz),
            "rating": self._crisis_rating_values(impact_sudo) if crisis.is_resolved else False,
            # the outcome of an answer (known codes only are shown)
            "message": kw.get("message"),
        }
        values = self._get_page_view_values(
            impact_sudo, access_token, values, "my_crises_history", False, **kw
        )
        # the chatter reads and posts with the line's token: portal users have
        # no right on the lines themselves
        values["token"] = token
        return values

    def _crisis_compensation_values(self, impact_sudo, token, tz):
        """The compensations offered to the customer of the line: approved,
        delivered, or answered by them (``impact_sudo`` is sudo)."""
        env = request.env
        Compensation = env["crisis.compensation"]
        # sudo: the line's own compensations, after the access check
        compensations = Compensation.sudo().search(
            Compensation._crisis_portal_domain(impact_sudo), order="id"
        )
        types = dict(Compensation._fields["type"]._description_selection(env))
        base_url = f"{impact_sudo.access_url}/compensation"
        result = []
        for compensation in compensations:
            response = compensation.customer_response
            # the buttons only when the answer would be taken (a credit note
            # under way, for instance, takes no answer)
            answerable = compensation._crisis_portal_answerable()
            status = compensation._crisis_portal_status()
            result.append(
                {
                    "id": compensation.id,
                    "reference": compensation.reference,
                    "type": types.get(compensation.type, ""),
                    "amount": format_amount(env, compensation.amount, compensation.currency_id)
                    if compensation.amount
                    else False,
                    "description": compensation.description,
                    "delivery_details": compensation.delivery_details
                    if compensation.state == "delivered"
                    else False,
                    "status": status,
                    "response": response,
                    "state": compensation.state,
                    "signed_by": compensation.customer_signed_by,
                    "response_date": format_datetime(
                        env, compensation.customer_response_date, tz=tz, dt_format="medium"
                    )
                    if compensation.customer_response_date
                    else False,
                    "decline_reason": compensation.customer_decline_reason,
                    "can_answer": answerable,
                    "accept_url": f"{base_url}/{compensation.id}/accept?access_token={token}",
                    "decline_url": f"{base_url}/{compensation.id}/decline?access_token={token}",
                }
            )
        return result

    def _crisis_rating_values(self, impact_sudo):
        """The satisfaction rating of a resolved crisis on the customer's page:
        the token of Odoo's ``/rate/<token>/<score>`` links, the same the
        satisfaction request emails (``_rating_get_access_token``), and the
        rating the customer already gave, if any (its token changes it)."""
        env = request.env
        # the partner the satisfaction request asks, as Odoo's rating mixin finds it
        partner = impact_sudo._rating_get_partner()
        # sudo: the line's ratings, after the access check
        given = (
            env["rating.rating"]
            .sudo()
            .search(
                [
                    ("res_model", "=", impact_sudo._name),
                    ("res_id", "=", impact_sudo.id),
                    ("partner_id", "=", partner.id),
                    ("consumed", "=", True),
                ],
                order="write_date desc, id desc",
                limit=1,
            )
        )
        if given:
            texts = dict(given._fields["rating_text"]._description_selection(env))
            return {
                "token": given.access_token,
                "given": int(given.rating),
                "given_label": texts.get(given.rating_text, ""),
            }
        return {
            # the open rating the satisfaction request made, else a new one: as
            # the request's template does
            "token": impact_sudo._rating_get_access_token(),
            "given": False,
            "given_label": False,
        }
