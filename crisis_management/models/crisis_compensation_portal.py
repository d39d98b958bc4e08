import base64
import binascii

from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount
from odoo.tools.mimetypes import guess_mimetype

from .crisis_workflow_mixin import as_workflow

CUSTOMER_RESPONSES = [
    ("none", "No Answer Yet"),
    ("accepted", "Accepted"),
    ("declined", "Declined"),
]
# the customer's answer: only the portal methods below write these fields
RESPONSE_FIELDS = (
    "customer_response",
    "customer_signed_by",
    "customer_signature",
    "customer_response_date",
    "customer_response_ip",
    "customer_decline_reason",
)
# what a signature drawn in Odoo's signature widget may be, and how large
SIGNATURE_MIMETYPES = ("image/png", "image/jpeg")
SIGNATURE_MAX_BYTES = 1024 * 1024
# the longest name a customer signs with, and reason they decline with
SIGNER_NAME_MAX = 256
DECLINE_REASON_MAX = 5000
TODO = "mail.mail_activity_data_todo"


class CrisisCompensation(models.Model):
    """The customer's answer to an approved compensation, on their page.

    Like a quotation on Odoo's portal (``sale`` ``portal_quote_accept`` and
    ``portal_quote_decline``): the customer accepts it with their name and
    optionally a signature, or declines it with a reason. The compensation
    records who answered, when and from where; the agent gets a To-Do: deliver
    the accepted one, or talk again with the customer who declined. A declined
    compensation is cancelled: it no longer counts in the approved totals and
    is never delivered; a new request can be made.
    """

    _inherit = "crisis.compensation"

    customer_response = fields.Selection(
        CUSTOMER_RESPONSES,
        string="Customer's Answer",
        required=True,
        default="none",
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
        help="What the customer answered on their page to the approved compensation.",
    )
    customer_signed_by = fields.Char(
        string="Accepted By",
        readonly=True,
        copy=False,
        tracking=True,
        help="The name the customer typed when accepting the compensation.",
    )
    customer_signature = fields.Binary(
        string="Customer's Signature", readonly=True, copy=False, attachment=True
    )
    customer_response_date = fields.Datetime(string="Answered On", readonly=True, copy=False)
    customer_response_ip = fields.Char(
        string="Answered From",
        readonly=True,
        copy=False,
        help="The IP address the customer answered from.",
    )
    customer_decline_reason = fields.Text(
        string="Reason for Declining",
        readonly=True,
        copy=False,
        help="Why the customer declined the compensation, in their words.",
    )

    @api.model
    def _crisis_guarded_fields(self):
        guarded = super()._crisis_guarded_fields()
        guarded.update(dict.fromkeys(RESPONSE_FIELDS, True))
        return guarded

    @api.model
    def _crisis_portal_domain(self, impacts):
        """The compensations the page of ``impacts`` shows: those offered to
        the customer (approved, delivered) and those they answered."""
        return [
            ("impact_id", "in", impacts.ids),
            "|",
            ("state", "in", ("approved", "delivered")),
            ("customer_response", "!=", "none"),
        ]

    # ------------------------------------------------------------------
    # Workflow
    # ------------------------------------------------------------------

    def _crisis_check_deliverable(self):
        declined = self.filtered(lambda c: c.customer_response == "declined")
        if declined:
            raise UserError(
                self.env._(
                    "%(reference)s was declined by the customer: it is not delivered. Make a "
                    "new request if the customer agrees to another compensation.",
                    reference=declined[0].reference,
                )
            )
        return super()._crisis_check_deliverable()

    # ------------------------------------------------------------------
    # The customer's answer (the portal controller, after its access check)
    # ------------------------------------------------------------------

    def _crisis_portal_check_answerable(self):
        """Raise a ``UserError``, in words for the customer, unless they may
        answer this compensation now."""
        self.ensure_one()
        if self.is_drill:
            raise UserError(
                self.env._("%(reference)s belongs to a drill.", reference=self.reference)
            )
        if self.customer_response != "none":
            raise UserError(
                self.env._(
                    "You already answered about %(reference)s: it is %(answer)s.",
                    reference=self.reference,
                    answer=self._crisis_portal_response_label().lower(),
                )
            )
        if self.state != "approved":
            raise UserError(
                self.env._(
                    "%(reference)s is not offered to you at the moment: only an offered "
                    "compensation can be accepted or declined.",
                    reference=self.reference,
                )
            )

    def _crisis_portal_answerable(self):
        """Whether the customer may accept or decline it now: the page shows
        the buttons only then (the same checks as the answer itself)."""
        self.ensure_one()
        try:
            self._crisis_portal_check_answerable()
        except UserError:
            return False
        return True

    def _crisis_portal_status(self):
        """What the customer's page says of it, in their words."""
        self.ensure_one()
        env = self.env
        if self.customer_response == "declined":
            return env._("Declined")
        if self.state == "cancelled":
            return env._("Withdrawn")
        if self.state == "delivered":
            return env._("Delivered")
        if self.customer_response == "accepted":
            return env._("Accepted")
        if self._crisis_portal_answerable():
            return env._("Waiting for your answer")
        return env._("Being delivered")

    def _crisis_portal_response_label(self):
        self.ensure_one()
        labels = dict(self._fields["customer_response"]._description_selection(self.env))
        return labels[self.customer_response]

    def _crisis_portal_accept(self, name, signature=None, ip=None):
        """The customer accepts the compensation, with their name and
        optionally the signature drawn in Odoo's signature widget (base64).

        The compensation's chatter gets a message with the signature attached,
        and the agent a To-Do: deliver it.

        :raise UserError: the compensation is not waiting for an answer, the
            name is missing, not text or too long (``SIGNER_NAME_MAX``), or the
            signature is not an image
        """
        self.ensure_one()
        self._crisis_portal_check_answerable()
        name = name.strip() if isinstance(name, str) else ""
        if not name:
            raise UserError(self.env._("Please type your name to accept the compensation."))
        if len(name) > SIGNER_NAME_MAX:
            raise UserError(
                self.env._(
                    "Your name is too long: please type at most %(max)s characters.",
                    max=SIGNER_NAME_MAX,
                )
            )
        if not name.isprintable():
            raise UserError(
                self.env._("Please type your name on one line, without special characters.")
            )
        image = self._crisis_portal_signature_image(signature)
        self._crisis_portal_answer(
            {
                "customer_response": "accepted",
                "customer_signed_by": name,
                "customer_signature": base64.b64encode(image) if image else False,
            },
            ip,
        )
        lang = self._crisis_portal_team_lang()
        compensation = self.with_context(lang=lang)
        attachments = []
        if image:
            extension = "jpg" if guess_mimetype(image) == "image/jpeg" else "png"
            filename = f"{self.reference.replace('/', '-')}-signature.{extension}"
            attachments.append((filename, image))
        compensation._crisis_portal_post(
            compensation.env._(
                "Compensation accepted by %(name)s, with their signature (attached).",
                name=name,
            )
            if image
            else compensation.env._(
                "Compensation accepted by %(name)s, without signature.", name=name
            ),
            attachments,
        )
        compensation._crisis_portal_schedule_todo(
            compensation.env._("Deliver the accepted compensation %s", self.reference),
            compensation.env._(
                "%(customer)s accepted the compensation (%(type)s, %(amount)s) on their "
                "page: deliver it.",
                customer=self.partner_id.display_name,
                type=compensation._crisis_portal_type_label(),
                amount=format_amount(compensation.env, self.amount, self.currency_id),
            ),
        )
        return True

    def _crisis_portal_decline(self, reason, ip=None):
        """The customer declines the compensation, with a reason.

        It goes back to the agent: cancelled (it never counts as approved nor
        is delivered), a message in its chatter and a To-Do for the agent with
        the customer's reason.

        :raise UserError: the compensation is not waiting for an answer or the
            reason is missing, not text or too long (``DECLINE_REASON_MAX``)
        """
        self.ensure_one()
        self._crisis_portal_check_answerable()
        reason = reason.strip() if isinstance(reason, str) else ""
        if not reason:
            raise UserError(
                self.env._("Please tell us why you decline the compensation: it helps us.")
            )
        if len(reason) > DECLINE_REASON_MAX:
            raise UserError(
                self.env._(
                    "Your reason is too long: please keep it under %(max)s characters.",
                    max=DECLINE_REASON_MAX,
                )
            )
        if "\x00" in reason:
            raise UserError(
                self.env._("Your reason contains characters we cannot keep: please type it again.")
            )
        self._crisis_portal_answer(
            {
                "customer_response": "declined",
                "customer_decline_reason": reason,
                "state": "cancelled",
            },
            ip,
        )
        compensation = self.with_context(lang=self._crisis_portal_team_lang())
        compensation._crisis_portal_post(
            Markup("%s<br/>%s")
            % (
                compensation.env._("Compensation declined by the customer. Their reason:"),
                reason,
            )
        )
        compensation._crisis_portal_schedule_todo(
            compensation.env._("Compensation %s declined by the customer", self.reference),
            compensation.env._(
                "%(customer)s declined the compensation (%(type)s, %(amount)s): "
                "“%(reason)s”. Talk with them; a new request can be made.",
                customer=self.partner_id.display_name,
                type=compensation._crisis_portal_type_label(),
                amount=format_amount(compensation.env, self.amount, self.currency_id),
                reason=reason,
            ),
        )
        return True

    def _crisis_portal_signature_image(self, signature):
        """The raw image of a base64 ``signature``, or ``b""`` without one."""
        if not signature:
            return b""
        try:
            image = base64.b64decode(signature, validate=True)
        except (TypeError, ValueError, binascii.Error) as error:
            raise UserError(self.env._("The signature could not be read.")) from error
        if len(image) > SIGNATURE_MAX_BYTES or guess_mimetype(image) not in SIGNATURE_MIMETYPES:
            raise UserError(self.env._("The signature could not be read."))
        return image

    def _crisis_portal_answer(self, values, ip):
        """Record the customer's answer: who (the tracking's author), when, from where."""
        # the customer signs the tracking of their answer, not the public user
        self.sudo()._track_set_author(self._crisis_portal_author())
        as_workflow(self).write(
            dict(
                values,
                customer_response_date=fields.Datetime.now(),
                customer_response_ip=ip or False,
            )
        )
        # an answer to the notices that reached the customer
        self.env["crisis.update.recipient"]._crisis_mark_answered(self.sudo().impact_id)

    def _crisis_portal_author(self):
        """Who answers: the logged-in portal user, else the line's customer
        (the visitor of the emailed link)."""
        user = self.env.user
        return self.partner_id if user._is_public() else user.partner_id

    def _crisis_portal_team_lang(self):
        """The language of the messages and To-Dos the team reads: the agent's."""
        return self._crisis_portal_agent().lang or self.env.lang

    def _crisis_portal_agent(self):
        """The line's agent, else the requester (both internal users)."""
        self.ensure_one()
        agent = self.sudo().impact_id.user_id
        if agent.active and not agent.share:
            return agent
        return self.sudo().user_id

    def _crisis_portal_type_label(self):
        types = dict(self._fields["type"]._description_selection(self.env))
        return types[self.type]

    def _crisis_portal_post(self, body, attachments=None):
        """A message of the customer in the compensation's chatter: its followers
        are notified."""
        # sudo: the visitor of the emailed link has no right on compensations;
        # the controller checked the access
        return self.sudo().message_post(
            body=body,
            author_id=self._crisis_portal_author().id,
            attachments=attachments or [],
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    def _crisis_portal_schedule_todo(self, summary, note):
        """A To-Do for the agent, given by OdooBot: the public visitor has no
        email address to send the assignment from."""
        agent = self._crisis_portal_agent()
        if not agent:
            return self.env["mail.activity"]
        return (
            self.with_user(SUPERUSER_ID)
            .sudo()
            .activity_schedule(
                TODO,
                date_deadline=fields.Date.context_today(self),
                summary=summary,
                # the customer's words are text, never HTML
                note=Markup("<p>%s</p>") % note,
                user_id=agent.id,
            )
        )
