from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.misc import formatLang

from odoo.addons.crisis_management.wizard.crisis_notify_wizard import AUDIENCE_FIELDS

from ..models.crisis_update import CHANNELS
from ..sms_parts import GSM7, sms_parts


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
    sms_part_count = fields.Integer(
        string="SMS Parts",
        compute="_compute_sms_parts",
        help="What the provider bills: every text message is one part or more. A part holds "
        "160 characters of the GSM alphabet (153 each when a text takes several), or 70 "
        "characters (67 each) as soon as one character is outside it, as in Chinese. Counted "
        "from the text of each language the customers read.",
    )
    sms_parts_info = fields.Text(
        string="Parts by Language",
        compute="_compute_sms_parts",
        help="Per language of the customers texted: the encoding of the text, its length and "
        "the parts each text message takes.",
    )

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

    @api.depends(*AUDIENCE_FIELDS, "channel")
    def _compute_sms_counts(self):
        Impact = self.env["crisis.impact"]
        for wizard in self:
            if not wizard.crisis_id or wizard.channel == "email":
                wizard.sms_count = wizard.no_mobile_count = wizard.phone_blacklisted_count = 0
                continue
            counts = Impact._crisis_count_sms_recipients(
                wizard._audience_domain(), only_without_email=wizard.channel == "email_else_sms"
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

    @api.depends(*AUDIENCE_FIELDS, "channel", "sms_template_id")
    def _compute_sms_parts(self):
        """The parts of the texts to send: one rendering per language of the
        customers texted (its first line as the sample), counted by the
        database per language."""
        for wizard in self:
            wizard.sms_part_count = 0
            wizard.sms_parts_info = False
            if not wizard.crisis_id or wizard.channel == "email" or not wizard.sms_template_id:
                continue
            languages = wizard._crisis_sms_languages()
            if not languages:
                continue
            names = dict(self.env["res.lang"].get_installed())
            template = wizard.sms_template_id
            lines = []
            for lang, count, sample_id in languages:
                body = template._render_field("body", [sample_id], compute_lang=True)[sample_id]
                encoding, length, parts = sms_parts(body)
                wizard.sms_part_count += parts * count
                lines.append(
                    self.env._(
                        "%(language)s: %(encoding)s, %(length)s characters, %(parts)s part(s) "
                        "per text × %(count)s customer(s)",
                        language=names.get(lang, lang or self.env._("No language")),
                        encoding="GSM-7" if encoding == GSM7 else "UCS-2 (Unicode)",
                        length=length,
                        parts=parts,
                        count=formatLang(self.env, count, digits=0),
                    )
                )
            wizard.sms_parts_info = "\n".join(lines)

    def _crisis_sms_languages(self):
        """[(language, customers texted, a sample line)] of the wizard's audience."""
        self.ensure_one()
        Impact = self.env["crisis.impact"]
        query = Impact._search(self._audience_domain())
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT partner.lang, COUNT(*), MIN(impact.id)
                  FROM crisis_impact impact
                  JOIN res_partner partner ON partner.id = impact.partner_id
                 WHERE impact.id IN %(ids)s AND %(only)s AND %(state)s = 'sent'
              GROUP BY partner.lang
              ORDER BY COUNT(*) DESC, partner.lang
                """,
                ids=query.subselect(),
                only=Impact._crisis_sms_only_without_email(self.channel == "email_else_sms"),
                state=Impact._crisis_sms_recipient_state(),
            )
        )
        return self.env.cr.fetchall()

    @api.depends("channel", "sms_count", "sms_part_count")
    def _compute_confirm_title(self):
        result = super()._compute_confirm_title()
        for wizard in self.filtered(lambda w: w.channel != "email"):
            sms = formatLang(self.env, wizard.sms_count, digits=0)
            parts = formatLang(self.env, wizard.sms_part_count, digits=0)
            if wizard.channel == "sms":
                wizard.confirm_title = self.env._(
                    "Send %(sms)s SMS (%(parts)s parts billed)?", sms=sms, parts=parts
                )
            else:
                wizard.confirm_title = self.env._(
                    "Send %(emails)s email(s) and %(sms)s SMS (%(parts)s parts billed)?",
                    emails=formatLang(self.env, wizard.recipient_count, digits=0),
                    sms=sms,
                    parts=parts,
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
                "%(queued)s SMS queued; %(skipped)s customer(s) skipped (no mobile number, phone "
                "blacklisted, self-reported and not verified, or unsubscribed). The update's "
                "counts follow what the SMS provider reports.",
                queued=update.sms_queued_count,
                skipped=update.sms_no_mobile_count
                + update.sms_blacklisted_count
                + update.unverified_count
                + update.unsubscribed_count,
            )
            params["type"] = "success" if update.sms_queued_count else "warning"
        elif update.channel != "email" and update.state == "sent":
            params["message"] = self.env._(
                "%(message)s %(queued)s SMS queued.",
                message=params["message"],
                queued=update.sms_queued_count,
            )
            if update.sms_queued_count:
                params["type"] = "success"
        return params
