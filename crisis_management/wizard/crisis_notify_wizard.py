from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, html2plaintext
from odoo.tools.misc import formatLang

from odoo.addons.base.models.res_partner import _lang_get

from ..models.crisis_impact import CONTACT_STATUSES, CUSTOMER_EMAIL_LAYOUT
from ..models.crisis_type import SEVERITIES
from ..models.crisis_update import AUDIENCES, NO_STATEMENT_KINDS, UPDATE_KINDS

# the fields that decide who the audience of the send is (the computes on it
# depend on them, the SMS bridge's too)
AUDIENCE_FIELDS = (
    "crisis_id",
    "audience",
    "impact_level",
    "contact_status",
    "impact_ids",
    "audience_lang",
)

# the template proposed for each kind of update
KIND_TEMPLATES = {
    "initial": "crisis_management.mail_template_impact_initial",
    "progress": "crisis_management.mail_template_impact_progress",
    "resolution": "crisis_management.mail_template_impact_resolution",
    "other": "crisis_management.mail_template_impact_progress",
}


class CrisisNotifyWizard(models.TransientModel):
    _name = "crisis.notify.wizard"
    _inherit = ["crisis.impact.selection.mixin"]
    _description = "Notify Affected Customers"

    crisis_id = fields.Many2one("crisis.crisis", required=True, ondelete="cascade")
    state = fields.Selection(
        [("compose", "Compose"), ("confirm", "Confirm")],
        required=True,
        default="compose",
        help="Compose the update, then confirm the send with its counts.",
    )
    company_id = fields.Many2one(related="crisis_id.company_id")
    impact_ids = fields.Many2many("crisis.impact", string="Selected Customers")
    audience = fields.Selection(
        AUDIENCES,
        string="Send To",
        required=True,
        default="all",
        help="Which affected customers of the crisis receive the email.",
    )
    impact_level = fields.Selection(SEVERITIES, string="Impact", default="high")
    audience_lang = fields.Selection(
        _lang_get,
        string="Who Read",
        help="Only the customers of the audience whose contact reads this language: to send "
        "a message written in one language to those who read it.",
    )
    body_is_custom = fields.Boolean(
        compute="_compute_body_is_custom",
        help="The message is not the approved public statement.",
    )
    body_lang = fields.Selection(
        _lang_get,
        string="Message Written In",
        default=lambda self: self.env.lang or "en_US",
        help="The language of a message other than the public statement: it goes only to "
        "customers who read it (the statement goes to everyone in their language).",
    )
    contact_status = fields.Selection(CONTACT_STATUSES, default="to_contact")
    kind = fields.Selection(
        [(value, label) for value, label in UPDATE_KINDS if value != "satisfaction"],
        string="Update",
        required=True,
        default="progress",
    )
    template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        compute="_compute_template_id",
        store=True,
        precompute=True,
        readonly=False,
        required=True,
        domain="[('model', '=', 'crisis.impact')]",
    )
    body = fields.Html(
        string="Message",
        compute="_compute_body",
        store=True,
        precompute=True,
        readonly=False,
        help="The text of this update, inserted in the email; the approved public statement "
        "by default.",
    )
    recipient_count = fields.Integer(string="Emails to Send", compute="_compute_counts")
    no_email_count = fields.Integer(string="Without Email", compute="_compute_counts")
    blacklisted_count = fields.Integer(string="Blacklisted", compute="_compute_counts")
    unsubscribed_count = fields.Integer(
        string="Unsubscribed",
        compute="_compute_counts",
        help="Customers who unsubscribed from the notices of this crisis: skipped.",
    )
    unverified_count = fields.Integer(
        string="Not Verified",
        compute="_compute_counts",
        help="Customers who wrote to the inbox of the crisis and whom no agent verified yet "
        "(Verify on their line): skipped, their address may be forged.",
    )
    preview_impact_id = fields.Many2one(
        "crisis.impact",
        string="Preview For",
        domain="[('crisis_id', '=', crisis_id)]",
        compute="_compute_preview_impact_id",
        store=True,
        precompute=True,
        readonly=False,
    )
    preview_subject = fields.Char(compute="_compute_preview", string="Subject")
    preview_body = fields.Html(compute="_compute_preview", sanitize=False, string="Preview")
    confirm_title = fields.Char(compute="_compute_confirm_title")
    translation_warning = fields.Text(
        compute="_compute_translation_warning",
        help="Languages of the customers that the public statement or the customer-facing "
        "title is not translated to.",
    )
    needs_approval = fields.Boolean(
        compute="_compute_needs_approval",
        help="The message is not the approved public statement (nor a message approved "
        "since): a Crisis Manager approves it before it goes (one who did not write it, when "
        "the crisis needs a second approver).",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        # the first update of a crisis is its initial notice
        if (
            values.get("crisis_id")
            and "kind" in fields_list
            and not self.env.context.get("default_kind")
        ):
            crisis = self.env["crisis.crisis"].browse(values["crisis_id"])
            values["kind"] = "progress" if crisis.update_count else "initial"
        return values

    @api.depends("kind")
    def _compute_template_id(self):
        for wizard in self:
            xmlid = KIND_TEMPLATES.get(wizard.kind)
            wizard.template_id = xmlid and self.env.ref(xmlid, raise_if_not_found=False) or False

    @api.depends("crisis_id", "kind")
    def _compute_body(self):
        for wizard in self:
            # each kind of notice starts from its own text: the resolution
            # notice says the crisis is over, never the crisis instructions
            # of the statement (what to add goes in the customers' language)
            wizard.body = (
                False if wizard.kind in NO_STATEMENT_KINDS else wizard.crisis_id.public_statement
            )

    def _target_impacts(self):
        """The lines the email goes to, following the audience."""
        self.ensure_one()
        if self.audience == "selection":
            return self.impact_ids.filtered(
                lambda i: (
                    i.crisis_id == self.crisis_id
                    and (not self.audience_lang or i.partner_id.lang == self.audience_lang)
                )
            )
        return self.env["crisis.impact"].search(self._target_domain(), order="id")

    def _audience_domain(self):
        """The audience as a domain of lines: the selected lines, or the
        audience's conditions (counted by the database, nothing read per line)."""
        self.ensure_one()
        if self.audience == "selection":
            return [("id", "in", self._target_impacts().ids)]
        return self._target_domain()

    def _target_domain(self):
        self.ensure_one()
        domain = [("crisis_id", "=", self.crisis_id.id)]
        if self.audience == "not_contacted":
            # unreachable customers were not contacted either: the next
            # channel (SMS, another address) is for them
            domain.append(("contact_status", "in", ("to_contact", "unreachable")))
        elif self.audience == "priority":
            domain.append(("is_priority", "=", True))
        elif self.audience == "impact_level":
            domain.append(("impact_level", "=", self.impact_level))
        elif self.audience == "contact_status":
            domain.append(("contact_status", "=", self.contact_status))
        if self.audience_lang:
            domain.append(("partner_id.lang", "=", self.audience_lang))
        return domain

    def _audience_detail(self):
        self.ensure_one()
        field = {"impact_level": "impact_level", "contact_status": "contact_status"}.get(
            self.audience
        )
        if not field:
            return False
        return dict(self._fields[field]._description_selection(self.env)).get(self[field])

    @api.depends(*AUDIENCE_FIELDS)
    def _compute_counts(self):
        for wizard in self:
            if not wizard.crisis_id:
                wizard.recipient_count = wizard.no_email_count = wizard.blacklisted_count = 0
                wizard.unsubscribed_count = wizard.unverified_count = 0
                continue
            counts = self.env["crisis.impact"]._crisis_count_recipients(wizard._audience_domain())
            wizard.recipient_count = counts["sent"]
            wizard.no_email_count = counts["no_email"]
            wizard.blacklisted_count = counts["blacklisted"]
            wizard.unsubscribed_count = counts["unsubscribed"]
            wizard.unverified_count = counts["unverified"]

    @api.depends(*AUDIENCE_FIELDS)
    def _compute_preview_impact_id(self):
        for wizard in self:
            if wizard.preview_impact_id.crisis_id == wizard.crisis_id and wizard.crisis_id:
                continue
            if wizard.crisis_id and wizard.audience != "selection":
                # the first one only: the audience may hold 100,000 customers
                targets = self.env["crisis.impact"].search(
                    wizard._target_domain(), order="id", limit=1
                )
            elif wizard.crisis_id:
                targets = wizard._target_impacts()
            else:
                targets = wizard.impact_ids
            wizard.preview_impact_id = targets[:1]

    @api.depends("template_id", "body", "preview_impact_id", "kind")
    def _compute_preview(self):
        for wizard in self:
            impact = wizard.preview_impact_id._origin
            if not (wizard.template_id and impact):
                wizard.preview_subject = wizard.preview_body = False
                continue
            rendered = wizard.template_id.with_context(
                **wizard._update_body_context()
            )._generate_template(impact.ids, ("subject", "body_html"))[impact.id]
            wizard.preview_subject = rendered.get("subject")
            wizard.preview_body = rendered.get("body_html")

    @api.depends("recipient_count")
    def _compute_confirm_title(self):
        for wizard in self:
            count = wizard.recipient_count
            wizard.confirm_title = (
                self.env._("Send 1 email?")
                if count == 1
                else self.env._("Send %s emails?", formatLang(self.env, count, digits=0))
            )

    @api.depends(*AUDIENCE_FIELDS, "body", "body_lang", "kind")
    def _compute_translation_warning(self):
        Lang = self.env["res.lang"]
        for wizard in self:
            refusal = wizard._message_language_refusal()
            if refusal:
                wizard.translation_warning = refusal
                continue
            counts = wizard._untranslated_recipients()
            if not counts:
                wizard.translation_warning = False
                continue
            languages = ", ".join(
                self.env._(
                    "%(language)s (%(count)s customer(s))",
                    language=Lang._lang_get(code).name or code,
                    count=count,
                )
                for code, count in sorted(counts.items())
            )
            wizard.translation_warning = self.env._(
                "The public statement or the customer-facing title has no translation in: "
                "%(languages)s. These customers will read them in English: translate them in "
                "the Communication tab of the crisis (the language button of each field).",
                languages=languages,
            )

    @api.depends("crisis_id", "body")
    def _compute_body_is_custom(self):
        for wizard in self:
            wizard.body_is_custom = bool(wizard.crisis_id and wizard._update_body())

    @api.depends_context("uid")
    @api.depends("crisis_id", "body")
    def _compute_needs_approval(self):
        for wizard in self:
            crisis = wizard.crisis_id._origin
            wizard.needs_approval = bool(crisis) and not crisis._crisis_may_send(wizard.body)

    def _untranslated_recipients(self):
        """{language: number of customers of the audience to email} of the
        languages the statement (when the message is the statement) or the
        customer-facing title is not translated to."""
        self.ensure_one()
        crisis = self.crisis_id
        if not crisis:
            return {}
        # an edited message goes as it is written: only the title is translated
        names = (
            ("public_title",)
            if self._update_body() or self.kind in NO_STATEMENT_KINDS
            else ("public_title", "public_statement")
        )
        missing = crisis._crisis_untranslated_langs(names)
        if not missing:
            return {}
        return self._recipients_by_lang(SQL("partner.lang IN %s", tuple(missing)))

    def _recipients_by_lang(self, lang_condition):
        """{language: number of customers of the audience to email} whose
        contact's language meets ``lang_condition`` (SQL on ``partner.lang``):
        one grouped query, nothing read per customer."""
        Impact = self.env["crisis.impact"]
        query = Impact._search(self._audience_domain())
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT partner.lang, COUNT(*) FROM %s"
                " WHERE impact.id IN %s AND %s AND %s = 'sent'"
                " GROUP BY partner.lang",
                Impact._crisis_recipient_tables(),
                query.subselect(),
                lang_condition,
                Impact._crisis_recipient_state(),
            )
        )
        return dict(self.env.cr.fetchall())

    def _other_language_recipients(self):
        """{language: number of customers of the audience to email} who read
        another language than the message's, when the message is not the
        statement (a contact without a language reads what is written)."""
        self.ensure_one()
        crisis = self.crisis_id
        if not crisis or not self.body:
            return {}
        # the statement as proposed (in the sender's language, read with the
        # crisis): no need to look for it in its other languages
        if (
            html2plaintext(self.body).split()
            == html2plaintext(crisis.public_statement or "").split()
        ):
            return {}
        if not self._update_body():
            return {}
        written = self.body_lang or self.env.lang or "en_US"
        return self._recipients_by_lang(
            SQL("partner.lang IS NOT NULL AND partner.lang != %s", written)
        )

    def _message_language_refusal(self):
        """Why this message may not go to this audience (customers who read
        another language than it is written in), or ``False``."""
        self.ensure_one()
        others = self._other_language_recipients()
        if not others:
            return False
        Lang = self.env["res.lang"]
        written = self.body_lang or self.env.lang or "en_US"
        return self.env._(
            "This message is written in %(language)s, but customers of this audience read "
            "%(others)s: they would get it in a language they may not read. Send them the "
            "approved public statement (it goes in each customer's language), or send this "
            "message to those who read %(language)s only (Who Read) and a message written in "
            "each other language to the others.",
            language=Lang._lang_get(written).name or written,
            others=", ".join(
                self.env._(
                    "%(language)s (%(count)s customer(s))",
                    language=Lang._lang_get(code).name or code,
                    count=count,
                )
                for code, count in sorted(others.items())
            ),
        )

    def _check_message_language(self):
        refusal = self._message_language_refusal()
        if refusal:
            raise UserError(refusal)

    def _update_body_context(self):
        """The context the templates render this update's text with (as the
        sending job does, ``crisis.update._crisis_email``)."""
        self.ensure_one()
        return {
            "crisis_update_body": self._update_body(),
            "crisis_update_no_statement": self.kind in NO_STATEMENT_KINDS,
        }

    def _update_body(self):
        """The text of the update for the templates (``crisis_update_body``): empty
        when it is the public statement, which each customer reads in their
        language."""
        self.ensure_one()
        if not self.body or self.crisis_id._crisis_is_statement(self.body):
            return False
        return self.body

    @api.model
    def _check_kind(self, vals):
        """Only the kinds of update this wizard sends (no satisfaction survey)."""
        if vals.get("kind") and vals["kind"] not in KIND_TEMPLATES:
            raise UserError(
                self.env._(
                    "Updates of kind %(kind)s cannot be sent from here: satisfaction surveys go "
                    "out automatically after the resolution. Choose an initial notice, a "
                    "progress update, a resolution notice or another update.",
                    kind=vals["kind"],
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_kind(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_kind(vals)
        return super().write(vals)

    def _checked_audience(self):
        """The audience of the send (lines, or a domain on them), checked: the
        crisis may speak to its customers (the gate) and somebody matches."""
        self.ensure_one()
        self.crisis_id._check_can_speak_to_customers(self.kind)
        if self.audience == "selection":
            audience = self._target_impacts()
            found = bool(audience)
        else:
            # the audience as a domain: nothing read per customer at the click
            audience = self._target_domain()
            found = bool(self.env["crisis.impact"].search_count(audience, limit=1))
        if not found:
            raise UserError(self.env._("No affected customer matches this audience."))
        return audience

    def _reopen(self):
        """This wizard again, in its dialog (its next step)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Notify Affected Customers"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": self.env.context,
        }

    def action_review_send(self):
        """*Send*: first the confirmation, with the counts; nothing is sent yet."""
        self._checked_audience()
        # the gate again, with the message: approved, unless it is the statement
        self.crisis_id._check_can_speak_to_customers(self.kind, body=self.body)
        self._check_message_language()
        self.state = "confirm"
        return self._reopen()

    def action_request_approval(self):
        """*Request Approval* of a message that is not the approved statement:
        kept on the crisis for a Crisis Manager to approve (another one when
        the crisis needs a second approver); once approved, it is sent from
        the Communication tab of the crisis (*Send It*). Nothing is sent now."""
        self.ensure_one()
        self.crisis_id._crisis_request_message_approval(self.body)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "title": self.env._("Approval requested"),
                "message": self.env._(
                    "Nothing was sent: the Crisis Managers were asked to approve your "
                    "message. Once approved, send it from the Communication tab of the crisis."
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_back(self):
        self.ensure_one()
        self.state = "compose"
        return self._reopen()

    def action_send_test(self):
        """The email of the preview customer (their language, their name, the
        message), with [TEST] in its subject, to the current user only.

        Sent at once and recorded nowhere: no customer update, no message on
        the customer's line, the line untouched. About no document, it is not
        an email to customers for the guard of ``mail.mail``.
        """
        self.ensure_one()
        # who may speak for the crisis, as for the send itself
        self.crisis_id.check_access("write")
        user = self.env.user
        if not user.email:
            raise UserError(
                self.env._("Set your email address in your preferences to receive the test.")
            )
        impact = self.preview_impact_id._origin.filtered(
            lambda line: line.crisis_id == self.crisis_id
        )
        if not impact and self.audience == "selection":
            impact = self._target_impacts()[:1]
        elif not impact and self.crisis_id:
            impact = self.env["crisis.impact"].search(self._target_domain(), order="id", limit=1)
        if not impact:
            raise UserError(
                self.env._("No affected customer matches this audience: the test shows one.")
            )
        template = self.template_id.with_context(**self._update_body_context())
        mail_id = template.send_mail(
            impact.id,
            email_layout_xmlid=CUSTOMER_EMAIL_LAYOUT,
            email_values={
                "model": False,
                "res_id": False,
                "email_to": False,
                "email_cc": False,
                "partner_ids": [fields.Command.set(user.partner_id.ids)],
                "recipient_ids": [fields.Command.set(user.partner_id.ids)],
            },
        )
        mail = self.env["mail.mail"].sudo().browse(mail_id)
        mail.subject = self.env._("[TEST] %(subject)s", subject=mail.subject or "")
        mail.send()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "title": self.env._("Test email sent"),
                "message": self.env._(
                    "The email of %(customer)s was sent to you (%(email)s) only.",
                    customer=impact.partner_id.display_name,
                    email=user.email,
                ),
            },
        }

    def action_send(self):
        """Send the update (the confirmation's button)."""
        audience = self._checked_audience()
        self._check_message_language()
        update = self.crisis_id._crisis_notify(
            audience,
            self.template_id,
            kind=self.kind,
            body=self.body,
            audience_kind=self.audience,
            detail=self._audience_detail(),
            **self._crisis_send_values(),
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                **self._crisis_sent_params(update),
                "title": self.env._("Customer update queued"),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _crisis_send_values(self):
        """More values of the ``crisis.update`` recording the send (a hook:
        the SMS bridge adds its channel and SMS template)."""
        self.ensure_one()
        return {}

    def _crisis_sent_params(self, update):
        """The ``type`` and ``message`` of the notification shown after the send."""
        if update.state == "sent":
            message = self.env._(
                "%(queued)s email(s) queued; %(skipped)s customer(s) skipped "
                "(no email address, blacklisted, self-reported and not verified, or "
                "unsubscribed). The update's counts follow what the mail servers report.",
                queued=update.queued_count,
                skipped=update.skipped_count,
            )
        else:
            message = self.env._(
                "%(count)s customers to notify: the emails are being made in the background. "
                "Follow the progress in the Customer Updates of the crisis.",
                count=update.total_count,
            )
        return {
            "type": "success" if update.queued_count or update.state != "sent" else "warning",
            "message": message,
        }
