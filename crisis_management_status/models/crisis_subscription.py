import secrets
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools import SQL, consteq

from odoo.addons.base.models.res_partner import _lang_get
from odoo.addons.crisis_management.models.crisis_email import normalize_email
from odoo.addons.crisis_management.models.crisis_workflow_mixin import as_workflow

# a confirmation link is valid this long
EXPIRY_HOURS = 48
# expired requests are kept this long (the rate limits count them, abuse can be traced)
EXPIRED_KEEP_DAYS = 7
# a repeated request for the same address and crisis within this delay sends nothing
REPEAT_MINUTES = 10
# the rate limits, per hour (ir.config_parameter, with their defaults)
PARAM_IP_LIMIT = "crisis_management.subscription_ip_hourly_limit"
PARAM_CRISIS_LIMIT = "crisis_management.subscription_crisis_hourly_limit"
DEFAULT_IP_LIMIT = 10
DEFAULT_CRISIS_LIMIT = 500
CONFIRMATION_TEMPLATE = "crisis_management_status.mail_template_subscription_confirm"

SUBSCRIPTION_STATES = [
    ("pending", "Waiting for Confirmation"),
    ("confirmed", "Confirmed"),
    ("expired", "Expired"),
]


class CrisisSubscription(models.Model):
    """A visitor's request to follow a published crisis (double opt-in).

    Anyone may ask, from the crisis' public status page, to receive its
    updates: the request waits for its confirmation link (emailed to the
    address, valid ``EXPIRY_HOURS``); once confirmed, the address is an
    affected customer of the crisis (a line flagged ``is_subscriber``, impact
    level low), with the customer's page, the notices and their unsubscribe
    link. Nobody writes the requests but these methods: the public controller
    calls them as superuser after its checks; Crisis Users read them.
    """

    _name = "crisis.subscription"
    _description = "Status Page Subscription"
    _inherit = ["crisis.workflow.mixin"]
    _order = "date_requested desc, id desc"
    _rec_name = "email"
    _check_company_auto = True
    _crisis_workflow_fields = (
        "crisis_id",
        "email",
        "lang",
        "state",
        "token",
        "date_requested",
        "date_confirmed",
        "request_ip",
        "partner_id",
        "impact_id",
    )

    crisis_id = fields.Many2one(
        "crisis.crisis",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    company_id = fields.Many2one(related="crisis_id.company_id", store=True, index=True)
    email = fields.Char(required=True, readonly=True, index=True, help="Normalized address.")
    lang = fields.Selection(
        _lang_get, string="Language", readonly=True, help="The visitor's language."
    )
    state = fields.Selection(
        SUBSCRIPTION_STATES, required=True, readonly=True, default="pending", index=True
    )
    # the secret of the confirmation link: never shown, nor readable in the backend
    token = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        groups="base.group_system",
        default=lambda self: secrets.token_urlsafe(32),
    )
    date_requested = fields.Datetime(
        string="Requested On",
        required=True,
        readonly=True,
        default=fields.Datetime.now,
        index=True,
    )
    date_expires = fields.Datetime(string="Link Valid Until", compute="_compute_date_expires")
    date_confirmed = fields.Datetime(string="Confirmed On", readonly=True, copy=False)
    request_ip = fields.Char(string="Requested From", readonly=True, index=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", readonly=True, ondelete="set null", check_company=True
    )
    impact_id = fields.Many2one(
        "crisis.impact",
        string="Affected Customer",
        readonly=True,
        ondelete="set null",
        check_company=True,
    )

    def init(self):
        # one request waiting per address and crisis: the last guard of the
        # controller's checks (two workers at once)
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS crisis_subscription_pending_uniq"
                " ON crisis_subscription (crisis_id, email) WHERE state = 'pending'"
            )
        )

    @api.depends("date_requested")
    def _compute_date_expires(self):
        for subscription in self:
            subscription.date_expires = subscription.date_requested and (
                subscription.date_requested + timedelta(hours=EXPIRY_HOURS)
            )

    # ------------------------------------------------------------------
    # Requests
    # ------------------------------------------------------------------

    @api.model
    def _crisis_open_domain(self):
        """The crises anyone may subscribe to: published, not closed, and they
        may speak to their customers (the gate as a domain,
        ``crisis.crisis._crisis_speak_domain``: not a drill, the statement
        approved)."""
        return expression.AND(
            [
                [("is_published", "=", True), ("stage_id.is_closed", "=", False)],
                self.env["crisis.crisis"]._crisis_speak_domain(),
            ]
        )

    @api.model
    def _crisis_open_crisis(self, crisis_id):
        """The crisis ``crisis_id`` as superuser if anyone may subscribe to it, else empty."""
        return (
            self.env["crisis.crisis"]
            .sudo()
            .search([("id", "=", crisis_id), *self._crisis_open_domain()], limit=1)
        )

    def _crisis_check_values(self, vals_list, create=False):
        # the workflow guard first (who may write at all), then the addresses
        result = super()._crisis_check_values(vals_list, create=create)
        for vals in vals_list:
            if create or "email" in vals:
                self._crisis_check_email(vals.get("email"))
        return result

    @api.model
    def _crisis_check_email(self, email):
        """:raise ValidationError: ``email`` is not one valid address, normalized.

        Checked before the database sees it: PostgreSQL refuses a NUL with an
        error in the server log."""
        if self._crisis_normalize_email(email) != email:
            raise ValidationError(
                self.env._(
                    "%(email)s is not a valid email address: a subscription is for one "
                    "address, written as name@domain.example.",
                    email=repr(email) if isinstance(email, str) else email,
                )
            )

    @api.model
    def _crisis_normalize_email(self, email):
        """The normalized address of ``email``, or False (see ``normalize_email``)."""
        return normalize_email(email)

    @api.model
    def _crisis_limit(self, param, default):
        try:
            value = int(self.env["ir.config_parameter"].sudo().get_param(param, default))
        except (TypeError, ValueError):
            value = default
        return max(value, 0)

    @api.model
    def _crisis_request(self, crisis, email, lang, ip):
        """Ask for the confirmation of ``email`` on ``crisis`` (the caller checked
        that anyone may subscribe to it and normalized the address).

        Counted from the stored requests (several workers share nothing else):
        at most ``subscription_ip_hourly_limit`` requests per hour from one
        address, ``subscription_crisis_hourly_limit`` unconfirmed ones per
        crisis. A repeat for the same address and crisis within
        ``REPEAT_MINUTES`` sends nothing new; later, it replaces the waiting
        request (the new link is the valid one). Addresses on the email
        blacklist are sent nothing. The answer never tells whether the
        address was known.

        :return: ``"sent"`` (a confirmation email is queued), ``"ignored"``
            (nothing sent, the same answer for the visitor) or ``"limited"``
            (too many requests: try later)
        """
        Subscription = self.sudo()
        cr = self.env.cr
        # one request of a crisis at a time, and of an IP: the counts stay true
        cr.execute(
            SQL(
                "SELECT pg_advisory_xact_lock(hashtext('crisis.subscription'), %s),"
                " pg_advisory_xact_lock(hashtext('crisis.subscription.ip'), hashtext(%s))",
                crisis.id,
                ip or "",
            )
        )
        now = fields.Datetime.now()
        hour_ago = now - timedelta(hours=1)
        ip_limit = self._crisis_limit(PARAM_IP_LIMIT, DEFAULT_IP_LIMIT)
        if ip and (
            Subscription.search_count(
                [("request_ip", "=", ip), ("date_requested", ">=", hour_ago)], limit=ip_limit
            )
            >= ip_limit
        ):
            return "limited"
        crisis_limit = self._crisis_limit(PARAM_CRISIS_LIMIT, DEFAULT_CRISIS_LIMIT)
        if (
            Subscription.search_count(
                [
                    ("crisis_id", "=", crisis.id),
                    ("state", "!=", "confirmed"),
                    ("date_requested", ">=", hour_ago),
                ],
                limit=crisis_limit,
            )
            >= crisis_limit
        ):
            return "limited"
        waiting = Subscription.search(
            [("crisis_id", "=", crisis.id), ("email", "=", email), ("state", "=", "pending")]
        )
        if waiting.filtered(lambda s: s.date_requested >= now - timedelta(minutes=REPEAT_MINUTES)):
            return "ignored"
        if self.env["mail.blacklist"].sudo().search_count([("email", "=", email)], limit=1):
            return "ignored"
        as_workflow(waiting).write({"state": "expired"})
        # before the INSERT: the index allows one waiting request per address and crisis
        waiting.flush_recordset(["state"])
        subscription = as_workflow(Subscription).create(
            {
                "crisis_id": crisis.id,
                "email": email,
                "lang": lang,
                "request_ip": ip,
            }
        )
        subscription._crisis_send_confirmation()
        return "sent"

    def _crisis_send_confirmation(self):
        """Queue the confirmation email of each request, in its language."""
        template = self.env.ref(CONFIRMATION_TEMPLATE).sudo()
        for subscription in self.sudo():
            template.send_mail(subscription.id)
        self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()

    def _crisis_confirm_url(self):
        """The confirmation link (for the email, rendered as superuser only: a
        template's preview in the backend shows no token)."""
        self.ensure_one()
        token = self.token if self.env.su else "..."
        return f"{self.get_base_url()}/status/subscription/{self.id}/{token}"

    # ------------------------------------------------------------------
    # Confirmation
    # ------------------------------------------------------------------

    @api.model
    def _crisis_from_token(self, subscription_id, token):
        """The request ``subscription_id`` as superuser if ``token`` is its token
        and it may still be confirmed (or is confirmed already), else empty."""
        subscription = self.sudo().browse(subscription_id).exists()
        if (
            not subscription
            or not token
            or not isinstance(token, str)
            # Python's constant-time comparison takes ASCII strings only
            or not token.isascii()
            or not consteq(subscription.token, token)
        ):
            return self.sudo()
        if subscription.state == "confirmed":
            return subscription
        if (
            subscription.state != "pending"
            or subscription.date_expires < fields.Datetime.now()
            or not self._crisis_open_crisis(subscription.crisis_id.id)
        ):
            return self.sudo()
        return subscription

    def _crisis_confirm(self, ip=None):
        """Confirm these requests (pending, checked by the caller): each address
        becomes an affected customer of its crisis.

        The customer is the contact with this address in the crisis' company,
        or shared, else a new contact of that company in the language of the
        request. A customer linked already keeps their line as it is; a new
        line is flagged ``is_subscriber``, impact level low, and its chatter
        tells where it came from. Our own staff are never customers: their
        request is confirmed without a line.

        :return: the lines of the requests (``crisis.impact``, as superuser)
        """
        Impact = self.env["crisis.impact"].sudo()
        if not self:
            return Impact
        # two clicks at once: the second waits, then finds it confirmed
        self.env.cr.execute(
            SQL("SELECT id FROM crisis_subscription WHERE id = ANY(%s) FOR UPDATE", self.ids)
        )
        self.invalidate_recordset()
        impacts = Impact
        for subscription in self.sudo():
            if subscription.state == "confirmed":
                impacts |= subscription.impact_id
                continue
            partner, impact = subscription._crisis_customer_line(ip)
            as_workflow(subscription).write(
                {
                    "state": "confirmed",
                    "date_confirmed": fields.Datetime.now(),
                    "partner_id": partner.id,
                    "impact_id": impact.id,
                }
            )
            impacts |= impact
        return impacts

    def _crisis_customer_line(self, ip=None):
        """(partner, line) of this confirmed address on its crisis, made if needed."""
        self.ensure_one()
        crisis = self.crisis_id
        Impact = self.env["crisis.impact"].sudo()
        partners = (
            self.env["res.partner"]
            .sudo()
            .search(
                [
                    ("email_normalized", "=", self.email),
                    ("company_id", "in", [crisis.company_id.id, False]),
                ]
            )
        )
        staff = Impact._crisis_staff_partners(partners.ids)
        customers = (partners - staff).sorted(lambda p: (not p.company_id, p.id))
        if partners and not customers:
            return staff[:1], Impact
        if customers:
            existing = Impact.search(
                [("crisis_id", "=", crisis.id), ("partner_id", "in", customers.ids)], limit=1
            )
            if existing:
                # they asked again for the notices they had unsubscribed from
                existing._crisis_resubscribe()
                return existing.partner_id, existing
            partner = customers[0]
        else:
            partner = (
                self.env["res.partner"]
                .sudo()
                .create(
                    {
                        "name": self.email,
                        "email": self.email,
                        "lang": self.lang or False,
                        "company_id": crisis.company_id.id,
                    }
                )
            )
        impact = as_workflow(Impact).create(
            {
                "crisis_id": crisis.id,
                "partner_id": partner.id,
                "impact_level": "low",
                "is_subscriber": True,
            }
        )
        impact.message_post(
            body=self.env._(
                "Subscribed from the public status page: %(email)s asked on %(requested)s "
                "(from %(ip)s) and confirmed the address from the emailed link (from "
                "%(confirm_ip)s).",
                email=self.email,
                requested=fields.Datetime.to_string(self.date_requested),
                ip=self.request_ip or "?",
                confirm_ip=ip or "?",
            ),
            author_id=partner.id,
            message_type="notification",
            subtype_xmlid="mail.mt_note",
        )
        return partner, impact

    # ------------------------------------------------------------------
    # Scheduled cleaning
    # ------------------------------------------------------------------

    @api.autovacuum
    def _gc_crisis_subscriptions(self):
        """Drop the requests never confirmed in time, and the expired ones of
        more than ``EXPIRED_KEEP_DAYS`` days (their address and IP with them)."""
        now = fields.Datetime.now()
        old = self.sudo().search(
            [
                "|",
                "&",
                ("state", "=", "pending"),
                ("date_requested", "<", now - timedelta(hours=EXPIRY_HOURS)),
                "&",
                ("state", "=", "expired"),
                ("date_requested", "<", now - timedelta(days=EXPIRED_KEEP_DAYS)),
            ]
        )
        old.unlink()
        return len(old)
