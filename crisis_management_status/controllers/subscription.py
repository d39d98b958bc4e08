"""Subscriptions to a published crisis, from its public status page (double opt-in).

The status pages are cached by proxies and carry no session: their
"Subscribe to updates" link leads here, to pages never cached, whose forms
carry the visitor's CSRF token. ``/status/<id>/subscribe`` asks for an email
address and queues the confirmation email; the emailed link
``/status/subscription/<id>/<token>`` shows a Confirm button (a POST: link
scanners of mail servers open links, they do not press buttons), which makes
the address an affected customer of the crisis and opens the customer's page.
Everything runs as superuser after the checks of ``crisis.subscription``.
"""

from odoo import http
from odoo.http import request

from odoo.addons.crisis_management.controllers.utils import is_id, is_token

# the field a robot fills and a person never sees (hidden from screens and
# screen readers): a request with it is answered as any other, and dropped
HONEYPOT = "website"
NO_STORE = [("Cache-Control", "no-store")]


class CrisisSubscriptionPage(http.Controller):
    @http.route(
        "/status/<int:crisis_id>/subscribe",
        type="http",
        auth="public",
        website=True,
        methods=["GET", "POST"],
    )
    def crisis_subscribe(self, crisis_id, email=None, **kwargs):
        Subscription = request.env["crisis.subscription"]
        crisis = Subscription._crisis_open_crisis(crisis_id) if is_id(crisis_id) else None
        if not crisis:
            raise request.not_found()
        lang = self._subscription_lang(kwargs.get("lang"))
        values = {"crisis": crisis.with_context(lang=lang), "email": email or "", "error": False}
        if request.httprequest.method != "POST":
            return self._subscription_render("crisis_subscription_form", values)
        if kwargs.get(HONEYPOT):
            return self._subscription_render("crisis_subscription_sent", values)
        normalized = Subscription._crisis_normalize_email(email)
        if not normalized:
            values["error"] = request.env._("Please enter a valid email address.")
            return self._subscription_render("crisis_subscription_form", values, status=400)
        result = Subscription._crisis_request(
            crisis, normalized, lang, request.httprequest.remote_addr
        )
        if result == "limited":
            return self._subscription_render("crisis_subscription_limited", values, status=429)
        # the same answer whether the address was known, subscribed, or sent nothing
        return self._subscription_render("crisis_subscription_sent", values)

    @http.route(
        "/status/subscription/<int:subscription_id>/<string:token>",
        type="http",
        auth="public",
        website=True,
        methods=["GET", "POST"],
    )
    def crisis_subscription_confirm(self, subscription_id, token, **kwargs):
        subscription = request.env["crisis.subscription"]
        if is_id(subscription_id) and is_token(token):
            subscription = subscription._crisis_from_token(subscription_id, token)
        if not subscription:
            self._subscription_lang(kwargs.get("lang"))
            return self._subscription_render("crisis_subscription_invalid", {}, status=404)
        lang = self._subscription_lang(kwargs.get("lang") or subscription.lang)
        values = {
            "crisis": subscription.crisis_id.with_context(lang=lang),
            "subscription": subscription,
            "action_url": f"/status/subscription/{subscription.id}/{token}",
        }
        if request.httprequest.method == "POST":
            impact = subscription._crisis_confirm(ip=request.httprequest.remote_addr)
            if impact:
                return request.redirect(impact.get_portal_url())
            return self._subscription_render("crisis_subscription_staff", values)
        if subscription.state == "confirmed":
            if not subscription.impact_id:
                return self._subscription_render("crisis_subscription_staff", values)
            values["impact_url"] = subscription.impact_id.get_portal_url()
            return self._subscription_render("crisis_subscription_done", values)
        return self._subscription_render("crisis_subscription_confirm", values)

    # ------------------------------------------------------------------

    def _subscription_lang(self, code=None):
        """The page's language: ``code`` if installed, else the frontend's."""
        installed = dict(request.env["res.lang"].get_installed())
        if code and code in installed:
            request.lang = request.env["res.lang"]._get_data(code=code)
            request.update_context(lang=code)
        lang = request.env.lang
        return lang if lang in installed else False

    def _subscription_render(self, template, values, status=200):
        return request.render(
            f"crisis_management_status.{template}",
            {**values, "honeypot": HONEYPOT, "page_lang": request.env.lang or "en_US"},
            status=status,
            headers=NO_STORE,
        )
