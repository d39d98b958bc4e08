from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import formatLang

from ..models.crisis_update import CHANNELS


class CrisisNotifyWizard(models.TransientModel):
    """The notify wizard sends by email, by SMS, both, or SMS to the customers
    without a valid email address."""

    _inherit = "crisis.notify.wizard"

    channel = fields.Selection(
        CHANNELS,
        string="Send By",
        required=True,
        compute="_compute_channel",
        store=True,
        precompute=True,
        readonly=False,
        help="Email: emails only. SMS: text messages only. Email and SMS: both. Email, else "
        "SMS: a text message to the customers without a valid email address.",
    )
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS Template",
        compute="_compute_sms_template_id",
        store=True,
        precompute=True,
        readonly=False,
        domain="[('model', '=', 'crisis.impact')]",
        help="The text message, rendered in each customer's language with the link of their page.",
    )
    sms_count = fields.Integer(string="SMS to Send", compute="_compute_sms_counts")
    no_mobile_count = fields.Integer(
        string="Without Mobile",
        compute="_compute_sms_counts",
        help="Customers without a valid mobile (or phone) number: not texted.",
    )
    phone_blacklisted_count = fields.Integer(
        string="Phone Blacklisted",
        compute="_compute_sms_counts",
        help="Customers whose number is on the phone blacklist (they opted out of SMS): "
        "not texted.",
    )
    sms_preview = fields.Text(string="SMS Preview", compute="_compute_sms_preview")

    @api.depends("crisis_id")
    def _compute_channel(self):
        """The channel the crisis' company sends its updates by (Crisis Settings)."""
        for wizard in self:
            company = wizard.crisis_id.company_id or self.env.company
            wizard.channel = company.crisis_update_channel or "email"

    @api.depends("kind")
    def _compute_sms_template_id(self):
        Update = self.env["crisis.update"]
        for wizard in self:
            wizard.sms_template_id = Update._crisis_sms_template_of(wizard.kind)

    @api.depends(
        "crisis_id", "audience", "impact_level", "contact_status", "impact_ids", "channel"
    )
    def _compute_sms_counts(self):
        Impact = self.env["crisis.impact"]
        for wizard in self:
            if not wizard.crisis_id or wizard.channel == "email":
                wizard.sms_count = wizard.no_mobile_count = wizard.phone_blacklisted_count = 0
                continue
            if wizard.audience == "selection":
                domain = [("id", "in", wizard._target_impacts().ids)]
            else:
                domain = wizard._target_domain()
            counts = Impact._crisis_count_sms_recipients(
                domain, only_without_email=wizard.channel == "email_else_sms"
            )
            wizard.sms_count = counts["sent"]
            wizard.no_mobile_count = counts["no_mobile"]
            wizard.phone_blacklisted_count = counts["blacklisted"]

    @api.depends("sms_template_id", "preview_impact_id", "channel")
    def _compute_sms_preview(self):
        for wizard in self:
            impact = wizard.preview_impact_id._origin
            if wizard.channel == "email" or not (wizard.sms_template_id and impact):
                wizard.sms_preview = False
                continue
            wizard.sms_preview = wizard.sms_template_id._render_field(
                "body", impact.ids, compute_lang=True
            )[impact.id]

    @api.depends("channel", "sms_count")
    def _compute_confirm_title(self):
        result = super()._compute_confirm_title()
        for wizard in self.filtered(lambda w: w.channel != "email"):
            sms = formatLang(self.env, wizard.sms_count, digits=0)
            if wizard.channel == "sms":
                wizard.confirm_title = self.env._("Send %(sms)s SMS?", sms=sms)
            else:
                wizard.confirm_title = self.env._(
                    "Send %(emails)s email(s) and %(sms)s SMS?",
                    emails=formatLang(self.env, wizard.recipient_count, digits=0),
                    sms=sms,
                )
        return result

    def _checked_audience(self):
        self.ensure_one()
        if self.channel != "email" and not self.sms_template_id:
            raise UserError(self.env._("Choose the SMS template of the text message."))
        return super()._checked_audience()

    def _crisis_send_values(self):
        values = super()._crisis_send_values()
        values["channel"] = self.channel
        if self.channel != "email":
            values["sms_template_id"] = self.sms_template_id.id
        return values

    def _crisis_sent_params(self, update):
        params = super()._crisis_sent_params(update)
        if update.channel == "sms" and update.state == "sent":
            params["message"] = self.env._(
                "%(sent)s SMS queued; %(skipped)s customer(s) skipped (no mobile number, phone "
                "blacklisted, self-reported and not verified, or unsubscribed).",
                sent=update.sms_sent_count,
                skipped=update.sms_no_mobile_count
                + update.sms_blacklisted_count
                + update.unverified_count
                + update.unsubscribed_count,
            )
            params["type"] = "success" if update.sms_sent_count else "warning"
        elif update.channel != "email" and update.state == "sent":
            params["message"] = self.env._(
                "%(message)s %(sent)s SMS queued.",
                message=params["message"],
                sent=update.sms_sent_count,
            )
            if update.sms_sent_count:
                params["type"] = "success"
        return params
