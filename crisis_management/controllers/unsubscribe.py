"""Unsubscribe from the notices of one crisis: the link of every notice (RFC 8058).

``/crisis/unsubscribe/<line id>/<signature>`` is the link of the email's
footer and of its ``List-Unsubscribe`` header:

* GET shows a page naming the crisis, with a button to confirm (a POST with
  the session's CSRF token): link scanners and previews that open the link
  unsubscribe nobody. Once unsubscribed, it offers to subscribe again.
* POST with ``List-Unsubscribe=One-Click`` in its body is the one-click
  unsubscribe of mail clients (RFC 8058): no CSRF token (the mail provider has
  no session), the signature is the proof; it answers 200 at once.

A wrong signature, another line's, or a line that does not exist get the same
404: nothing tells whether a line exists.

The signature is all a mail provider or a link scanner sees of a notice (the
``List-Unsubscribe`` header): no answer of these routes gives the token of the
customer's page. The page links to ``/my/crises/<id>`` only for a logged-in
visitor who may see it (without a token); subscribing again "back to the page"
returns there with the page's token only when the form sent it.
"""

from werkzeug.exceptions import BadRequest

from odoo import http
from odoo.http import request
from odoo.tools import consteq, format_datetime

from .utils import is_id, is_token


class CrisisUnsubscribe(http.Controller):
    @http.route(
        "/crisis/unsubscribe/<int:impact_id>/<string:token>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        website=True,
        # the one-click POST of mail clients carries no CSRF token (RFC 8058)
        csrf=False,
    )
    def crisis_unsubscribe(self, impact_id, token, **post):
        impact_sudo = self._crisis_unsubscribe_line(impact_id, token)
        if request.httprequest.method == "POST":
            if post.get("List-Unsubscribe") != "One-Click":
                # a form POST goes to /confirm, with its CSRF token
                raise BadRequest()
            impact_sudo._crisis_unsubscribe(one_click=True)
            return request.make_response(
                "Unsubscribed", headers=[("Content-Type", "text/plain; charset=utf-8")]
            )
        return self._crisis_unsubscribe_page(impact_sudo)

    @http.route(
        "/crisis/unsubscribe/<int:impact_id>/<string:token>/confirm",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def crisis_unsubscribe_confirm(self, impact_id, token, **post):
        impact_sudo = self._crisis_unsubscribe_line(impact_id, token)
        impact_sudo._crisis_unsubscribe()
        return request.redirect(self._crisis_unsubscribe_path(impact_sudo, token), code=303)

    @http.route(
        "/crisis/unsubscribe/<int:impact_id>/<string:token>/resubscribe",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def crisis_resubscribe(self, impact_id, token, back_to_page=None, access_token=None, **post):
        impact_sudo = self._crisis_unsubscribe_line(impact_id, token)
        impact_sudo._crisis_resubscribe()
        if back_to_page:
            # from the customer's page: back there (the line's own page, never
            # an address given by the request), with the page's token only if
            # the form of the page sent it: the unsubscribe link alone never
            # gives it
            if (
                is_token(access_token)
                and impact_sudo.access_token
                and consteq(impact_sudo.access_token, access_token)
            ):
                return request.redirect(impact_sudo.get_portal_url(), code=303)
            return request.redirect(impact_sudo.access_url, code=303)
        return request.redirect(self._crisis_unsubscribe_path(impact_sudo, token), code=303)

    # ------------------------------------------------------------------

    def _crisis_unsubscribe_line(self, impact_id, token):
        """The line ``impact_id``, as superuser, if ``token`` is its signature.

        :raise NotFound: whatever is wrong (no such line, another line's
            signature, a forged one), the same answer
        """
        if not (is_id(impact_id) and is_token(token)):
            raise request.not_found()
        impact_sudo = request.env["crisis.impact"].sudo().browse(impact_id).exists()
        if not impact_sudo or not impact_sudo._crisis_check_unsubscribe_token(token):
            raise request.not_found()
        return impact_sudo

    def _crisis_unsubscribe_path(self, impact_sudo, token):
        return f"/crisis/unsubscribe/{impact_sudo.id}/{token}"

    def _crisis_unsubscribe_page(self, impact_sudo):
        """The page: which crisis, and the button to confirm or to subscribe again."""
        partner = impact_sudo.partner_id
        if request.env.user._is_public() and partner.lang in dict(
            request.env["res.lang"].get_installed()
        ):
            # the visitor of the emailed link reads the page in the customer's language
            request.update_context(lang=partner.lang)
        impact_sudo = impact_sudo.with_context(lang=request.env.lang)
        crisis = impact_sudo.crisis_id
        # their page, without its token, for a logged-in visitor who may see it:
        # the unsubscribe link is all a mail provider knows of the notice
        visible = False
        if not request.env.user._is_public():
            visible = impact_sudo.search_count(
                [("id", "=", impact_sudo.id)]
                + impact_sudo._crisis_portal_domain(request.env.user.partner_id),
                limit=1,
            )
        values = {
            "crisis_title": crisis.public_title or crisis.reference,
            "crisis_reference": crisis.reference,
            "company_name": impact_sudo.company_id.name,
            "customer_name": partner.name,
            "is_unsubscribed": impact_sudo.is_unsubscribed,
            "date_unsubscribed": impact_sudo.date_unsubscribed
            and format_datetime(
                request.env,
                impact_sudo.date_unsubscribed,
                tz=partner.tz or request.env.user.tz or "UTC",
                dt_format="medium",
            ),
            "action_url": self._crisis_unsubscribe_path(
                impact_sudo, impact_sudo._crisis_unsubscribe_token()
            ),
            "page_url": impact_sudo.access_url if visible else False,
        }
        return request.render("crisis_management.crisis_unsubscribe_page", values)
