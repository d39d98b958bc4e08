"""The reach policy of a crisis: reach the customers its updates did not reach.

A customer of a customer update whose email failed or bounced, or who has not
opened their page the company's hours after their mail server accepted it,
is texted the update (with the SMS app: the SMS bridge implements the step),
then given a call task in the call campaign when the text message failed or
was not possible. Once per update and customer: the recipient keeps what was
done (``crisis.update.recipient.fallback_state``). The reach policy job does
it in the background (``crisis.update.recipient._cron_reach_fallback``).

On by default for high and critical crises, and for the lower severities the
company chooses (``res.company.crisis_reach_fallback_severity``); each crisis
may change it. Never for drills; it waits while the statement is not
approved.
"""

from odoo import api, fields, models
from odoo.tools import SQL

# the severities, from the lowest
SEVERITY_ORDER = ("low", "medium", "high", "critical")


class CrisisCrisis(models.Model):
    _inherit = "crisis.crisis"  # pylint: disable=consider-merging-classes-inherited

    reach_fallback = fields.Boolean(
        string="Reach the Others",
        compute="_compute_reach_fallback",
        store=True,
        readonly=False,
        tracking=True,
        help="Customers a customer update did not reach (email failed or bounced, or not "
        "opened in time) are texted the update when the SMS app is installed, then given a "
        "call task in the call campaign when the text message failed or was not possible. "
        "On by default for high and critical crises and the severities the company chooses. "
        "Never for drills.",
    )
    reach_email_count = fields.Integer(
        string="Reached by Email",
        compute="_compute_reach_summary",
        help="Affected customers whose mail server accepted a customer update (not bounced), "
        "or who opened their page.",
    )
    reach_sms_count = fields.Integer(
        string="Reached by SMS",
        compute="_compute_reach_summary",
        help="Affected customers not reached by email whose text message the SMS provider "
        "accepted.",
    )
    reach_phone_count = fields.Integer(
        string="Reached by Phone",
        compute="_compute_reach_summary",
        help="Affected customers reached by neither, reached on the phone (last call).",
    )
    reach_none_count = fields.Integer(
        string="Not Reached Yet",
        compute="_compute_reach_summary",
        help="Affected customers no channel reached yet.",
    )

    email_failure_warning = fields.Char(
        compute="_compute_email_failure_warning",
        help="The emails of the last customer update that failed, and why: shown on the "
        "crisis so that nobody believes they arrived.",
    )

    @api.depends("severity", "company_id")
    def _compute_reach_fallback(self):
        for crisis in self:
            company = crisis.company_id or self.env.company
            threshold = company.crisis_reach_fallback_severity or "high"
            severity = crisis.severity or "medium"
            crisis.reach_fallback = SEVERITY_ORDER.index(severity) >= min(
                SEVERITY_ORDER.index(threshold), SEVERITY_ORDER.index("high")
            )

    def _compute_reach_summary(self):
        """How each affected customer was reached, in one grouped query for all
        these crises: by email, else by SMS, else by phone, else not yet."""
        counts = {}
        ids = [crisis_id for crisis_id in self.ids if crisis_id]
        if ids:
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    """
                    SELECT line.crisis_id, line.channel, COUNT(*)
                      FROM (
                        SELECT impact.crisis_id,
                               CASE WHEN BOOL_OR(recipient.email_state = 'sent'
                                                 OR recipient.date_opened IS NOT NULL)
                                    THEN 'email'
                                    WHEN BOOL_OR(%(sms_reached)s) THEN 'sms'
                                    WHEN impact.call_outcome = 'reached' THEN 'phone'
                                    ELSE 'none' END AS channel
                          FROM crisis_impact impact
                     LEFT JOIN crisis_update_recipient recipient
                            ON recipient.impact_id = impact.id
                         WHERE impact.crisis_id = ANY(%(ids)s)
                      GROUP BY impact.crisis_id, impact.id
                      ) AS line
                  GROUP BY line.crisis_id, line.channel
                    """,
                    sms_reached=self.env["crisis.update.recipient"]._crisis_sms_reached(),
                    ids=ids,
                )
            )
            for crisis_id, channel, count in self.env.cr.fetchall():
                counts[crisis_id, channel] = count
        for crisis in self:
            for channel in ("email", "sms", "phone", "none"):
                crisis[f"reach_{channel}_count"] = counts.get((crisis.id, channel), 0)

    def _compute_email_failure_warning(self):
        """One warning per crisis when emails of its last customer update failed:
        how many, the most common failure and one of its reasons, and where to
        look (a refused or unreachable mail server fails them all)."""
        Update = self.env["crisis.update"]
        Recipient = self.env["crisis.update.recipient"]
        failures = dict(Recipient._fields["email_failure_type"]._description_selection(self.env))
        for crisis in self:
            crisis.email_failure_warning = False
            if not crisis._origin.id:
                continue
            update = Update.search(
                [("crisis_id", "=", crisis._origin.id), ("state", "in", ("sending", "sent"))],
                order="id desc",
                limit=1,
            )
            if not update.failed_count:
                continue
            groups = Recipient._read_group(
                [("update_id", "=", update.id), ("email_state", "=", "failed")],
                ["email_failure_type"],
                ["__count", "email_failure_reason:max"],
                order="__count desc",
                limit=1,
            )
            failure_type, __, reason = groups[0] if groups else (False, 0, False)
            reason = (reason or "").strip().splitlines()[0][:160] if reason else ""
            what = failures.get(failure_type) or self.env._("unknown failure")
            if failure_type == "mail_smtp":
                crisis.email_failure_warning = self.env._(
                    "%(failed)s of %(total)s emails of the update “%(update)s” failed: the "
                    "outgoing mail server refused them or could not be reached (%(reason)s). "
                    "Check it in Settings > Technical > Outgoing Mail Servers; the customers "
                    "not reached are Unreachable on the board of customers.",
                    failed=update.failed_count,
                    total=update.total_count,
                    update=update.name,
                    reason=reason or what,
                )
            else:
                detail = f" ({reason})" if reason else ""
                crisis.email_failure_warning = self.env._(
                    "%(failed)s of %(total)s emails of the update “%(update)s” failed, most "
                    "of them: %(what)s%(reason)s. The customers not reached are Unreachable on "
                    "the board of customers.",
                    failed=update.failed_count,
                    total=update.total_count,
                    update=update.name,
                    what=what,
                    reason=detail,
                )
