from collections import defaultdict

from odoo import api, fields, models

from odoo.addons.crisis_management.models.crisis_update import CrisisUpdate as CoreUpdate
from odoo.addons.crisis_management.models.crisis_workflow_mixin import as_workflow

CHANNELS = [
    ("email", "Email"),
    ("sms", "SMS"),
    ("both", "Email and SMS"),
    ("email_else_sms", "Email, else SMS"),
]


class CrisisUpdate(models.Model):
    """A customer update sent by email, by SMS or both.

    The text messages go with the emails, in the same batches (at once up to
    the company's threshold, by the sending jobs above it): each batch makes
    its ``sms.sms`` in Odoo's SMS queue, which sends them in its own job.
    """

    _inherit = "crisis.update"
    _crisis_workflow_fields = (
        *CoreUpdate._crisis_workflow_fields,
        "channel",
        "sms_template_id",
        "sms_queued_count",
        "sms_sent_count",
        "sms_failed_count",
        "sms_no_mobile_count",
        "sms_blacklisted_count",
    )

    channel = fields.Selection(
        CHANNELS,
        string="Send By",
        required=True,
        default="email",
        help="Email: emails only. SMS: text messages only. Email and SMS: both. Email, else "
        "SMS: a text message to the customers without a valid email address.",
    )
    sms_template_id = fields.Many2one("sms.template", string="SMS Template", ondelete="set null")
    sms_queued_count = fields.Integer(
        string="SMS Queued",
        help="Text messages waiting in Odoo's SMS queue: not accepted nor refused by the SMS "
        "provider yet.",
    )
    sms_sent_count = fields.Integer(
        string="SMS Sent",
        help="Text messages accepted by the SMS provider (delivered ones included).",
    )
    sms_failed_count = fields.Integer(
        string="SMS Failed",
        help="Text messages the SMS provider refused or could not deliver (no credit, a wrong "
        "number…: the reason is on each recipient).",
    )
    sms_no_mobile_count = fields.Integer(
        string="Without Mobile", help="Customers not texted: no valid mobile or phone number."
    )
    sms_blacklisted_count = fields.Integer(
        string="Phone Blacklisted",
        help="Customers not texted: their number is on the phone blacklist.",
    )

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------

    def _crisis_email(self, recipients):
        """The batch's emails (unless SMS only), then its text messages.

        :return: the ``mail.message`` records of the emails (none for SMS only)
        """
        self.ensure_one()
        result = self.env["mail.message"]
        if self.channel != "sms":
            result = super()._crisis_email(recipients)
        if self.channel != "email":
            self._crisis_sms(recipients)
        return result

    def _crisis_sms(self, recipients):
        """Text the customers of ``recipients`` (one batch), as the user who sent
        the update: those with a valid number not on the phone blacklist,
        verified (not self-reported) and not unsubscribed (with "email, else
        SMS", only those without a valid email address)."""
        self.ensure_one()
        sender = self.with_user(self.user_id).sudo() if self.user_id else self.sudo()
        impacts = sender.env["crisis.impact"].browse(recipients.impact_id.ids)
        classified = impacts._crisis_classify_sms(
            only_without_email=self.channel == "email_else_sms"
        )
        template = sender.env["sms.template"].browse(self.sms_template_id.id)
        numbers = {
            impact_id: number
            for impact_id, (state, number) in classified.items()
            if state == "sent"
        }
        if not template:
            states = dict.fromkeys(numbers, "failed")
        else:
            states = {impact_id: state for impact_id, (state, _number) in classified.items()}
            if numbers:
                texted = impacts.browse(list(numbers))
                sms_records = texted._crisis_sms_template(template, numbers)
                texted._mark_contacted(self, fields.Datetime.now())
                self.crisis_id._crisis_defer_impact_stats()
        for (sms_state, by_sms_only), batch in recipients.grouped(
            lambda r: (states.get(r.impact_id.id), self.channel == "sms")
        ).items():
            values = {"sms_state": "queued" if sms_state == "sent" else sms_state}
            values = values if sms_state else {}
            if by_sms_only:
                values["state"] = (
                    sms_state if sms_state in ("unsubscribed", "unverified") else "sms_only"
                )
            if values:
                as_workflow(batch).write(values)
        if template and numbers:
            # each customer's text message is traced from its notification
            recipients.filtered(lambda r: r.sms_state == "queued")._crisis_link_sms(sms_records)

    def _crisis_close_done_now(self):
        done = super()._crisis_close_done_now()
        for update in done.filtered(lambda update: update.channel != "email"):
            update.crisis_id.sudo()._message_log(
                body=self.env._(
                    "Customer update %(update)s: %(queued)s SMS queued for sending, "
                    "%(no_mobile)s customer(s) without a mobile number, %(blacklisted)s on the "
                    "phone blacklist. Its counts follow what the SMS provider reports.",
                    update=update.display_name,
                    queued=update.sms_queued_count,
                    no_mobile=update.sms_no_mobile_count,
                    blacklisted=update.sms_blacklisted_count,
                )
            )
        return done

    def _crisis_count_reach(self, force=False):
        """The SMS counts too, from the recipients' SMS states: one more query."""
        result = super()._crisis_count_reach(force=force)
        texted = self.sudo().filtered(lambda update: update.channel != "email")
        if not texted:
            return result
        counts = defaultdict(lambda: defaultdict(int))
        for update, state, count in (
            self.env["crisis.update.recipient"]
            .sudo()
            ._read_group(
                [("update_id", "in", texted.ids), ("sms_state", "!=", False)],
                ["update_id", "sms_state"],
                ["__count"],
            )
        ):
            counts[update.id][state] = count
        for update in texted:
            count = counts[update.id]
            values = {
                "sms_queued_count": count["queued"],
                "sms_sent_count": count["sent"] + count["delivered"],
                "sms_failed_count": count["failed"] + count["bounced"],
                "sms_no_mobile_count": count["no_mobile"],
                "sms_blacklisted_count": count["blacklisted"],
            }
            if not force:
                values = {name: value for name, value in values.items() if update[name] != value}
            if values:
                as_workflow(update).write(values)
        return result

    @api.model
    def _crisis_sms_template_of(self, kind):
        """The SMS template shipped for a kind of update."""
        xmlid = {
            "initial": "crisis_management_sms.sms_template_impact_initial",
            "resolution": "crisis_management_sms.sms_template_impact_resolution",
        }.get(kind, "crisis_management_sms.sms_template_impact_progress")
        return self.env.ref(xmlid, raise_if_not_found=False) or self.env["sms.template"]
