"""One voice: what a crisis says to its customers, who approves it, and when
it may speak at all.

The public statement and the customer-facing title are approved together by a
Crisis Manager (one who did not write them, from the severity the company
chooses); a message other than the statement, written at send time, is
approved the same way before it goes.

The gate (``_crisis_speak_refusal``) says whether a crisis may send a message
to its customers now; every path to them asks it, or its SQL twin
(``_crisis_speak_sql``), made from the same conditions.
"""

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL, html2plaintext, is_html_empty
from odoo.tools.translate import html_translate

from .crisis_crisis import STATEMENT_FIELDS
from .crisis_type import SEVERITIES
from .crisis_workflow_mixin import as_workflow

# the approvers' reminder of a message written at send time
MESSAGE_TO_APPROVE = "crisis_management.mail_act_crisis_message_to_approve"


class CrisisCrisis(models.Model):
    _inherit = "crisis.crisis"  # pylint: disable=consider-merging-classes-inherited

    # one approved voice
    public_title = fields.Char(
        string="Customer-Facing Title",
        translate=True,
        tracking=True,
        compute="_compute_public_title",
        store=True,
        readonly=False,
        precompute=True,
        help="The name of the crisis in the emails to customers, in their language; approved "
        "with the public statement. The title when left empty: the title itself stays internal.",
    )
    public_statement = fields.Html(
        translate=html_translate,
        help="What the company says to customers and the public; a Crisis Manager approves it "
        "before anything is sent to customers.",
    )
    statement_state = fields.Selection(
        [("draft", "Draft"), ("approved", "Approved")],
        string="Statement Status",
        required=True,
        default="draft",
        tracking=True,
        copy=False,
    )
    statement_approved_by_id = fields.Many2one(
        "res.users", readonly=True, copy=False, tracking=True
    )
    date_statement_approved = fields.Datetime(
        string="Statement Approved On", readonly=True, copy=False
    )
    statement_editor_ids = fields.Many2many(
        "res.users",
        "crisis_crisis_statement_editor_rel",
        "crisis_id",
        "user_id",
        string="Statement Written By",
        readonly=True,
        copy=False,
        help="Who wrote or changed the public statement or the customer-facing title (in any "
        "language) since it was last approved. When a second person approves what the crisis "
        "says to customers, none of them approves it.",
    )
    second_approver_required = fields.Boolean(
        compute="_compute_second_approver_required",
        help="The public statement, and any other message sent to the customers, is approved "
        "by a Crisis Manager who did not write it: always for high and critical crises, from "
        "the severity chosen in the Crisis Settings for the others.",
    )
    can_approve_statement = fields.Boolean(
        compute="_compute_can_approve_statement",
        help="Whether you may approve the public statement: a Crisis Manager, and not one of "
        "its writers when a second approver is required.",
    )
    # a message other than the statement, written at send time: approved
    # before it goes, as the statement is
    edited_message = fields.Html(
        string="Message to Send",
        readonly=True,
        copy=False,
        help="A message other than the public statement that a sender wants to send to the "
        "affected customers: a Crisis Manager approves it before it goes (one who did not "
        "write it, when a second approver is required).",
    )
    edited_message_user_id = fields.Many2one(
        "res.users", string="Message Written By", readonly=True, copy=False
    )
    edited_message_approved_by_id = fields.Many2one(
        "res.users",
        string="Message Approved By",
        readonly=True,
        copy=False,
        help="Empty while the message waits for approval.",
    )
    can_approve_edited_message = fields.Boolean(
        compute="_compute_can_approve_statement",
        help="Whether you may approve the message waiting for approval.",
    )
    talking_points = fields.Html(
        help="Internal: what agents say on the phone. Never sent to customers.",
    )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("name")
    def _compute_public_title(self):
        # the title, until someone writes the one customers read: renaming the
        # crisis later does not change what customers read without approval
        for crisis in self:
            if not crisis.public_title:
                crisis.public_title = crisis.name

    @api.depends("severity", "company_id.crisis_statement_four_eyes_severity")
    def _compute_second_approver_required(self):
        for crisis in self:
            crisis.second_approver_required = crisis._crisis_second_approver_required()

    @api.depends_context("uid")
    @api.depends(
        "statement_state",
        "statement_editor_ids",
        "second_approver_required",
        "edited_message",
        "edited_message_user_id",
        "edited_message_approved_by_id",
    )
    def _compute_can_approve_statement(self):
        for crisis in self:
            crisis.can_approve_statement = (
                crisis.statement_state != "approved"
                and not crisis._crisis_text_approval_refusal(crisis.statement_editor_ids)
            )
            crisis.can_approve_edited_message = bool(
                not is_html_empty(crisis.edited_message)
                and not crisis.edited_message_approved_by_id
                and not crisis._crisis_text_approval_refusal(crisis.edited_message_user_id)
            )

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    @api.constrains("public_title")
    def _check_public_title_single_line(self):
        for crisis in self:
            if crisis.public_title and (
                "\n" in crisis.public_title or "\r" in crisis.public_title
            ):
                raise ValidationError(
                    self.env._(
                        "The customer-facing title of crisis %(reference)s must fit on one line: "
                        "it is in the subject of the emails to customers. Remove the line breaks.",
                        reference=crisis.reference,
                    )
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    def _update_field_translations(self, field_name, translations, digest=None, source_lang=None):
        """The translations of the statement and title, written outside ``write``
        (the translation dialog, ``update_field_translations``): changing one
        of an approved statement sends it back to draft, as ``write`` does."""
        if field_name not in STATEMENT_FIELDS:
            return super()._update_field_translations(
                field_name, translations, digest=digest, source_lang=source_lang
            )
        self.ensure_one()
        if field_name == "public_title":
            self._crisis_check_title_length(translations.values(), self.reference)
        field = self._fields[field_name]
        before = field._get_stored_translations(self)
        result = super()._update_field_translations(
            field_name, translations, digest=digest, source_lang=source_lang
        )
        if field._get_stored_translations(self) != before:
            self._crisis_statement_written()
        return result

    def _crisis_statement_written(self):
        """The current user changed what customers read of these crises (the
        statement or the customer-facing title, in a language): they are one
        of its writers. An approved statement goes back to draft, and its
        writers are those of the new text only.
        """
        approved = self.filtered(lambda c: c.statement_state == "approved")
        if approved:
            approved.action_reset_statement()
            as_workflow(approved).write({"statement_editor_ids": [Command.set([self.env.uid])]})
        drafts = self - approved
        if drafts:
            as_workflow(drafts).write({"statement_editor_ids": [Command.link(self.env.uid)]})

    def _crisis_statement_changed(self, vals):
        """Whether ``vals`` changes what customers read of this crisis (in the
        language of the write)."""
        self.ensure_one()
        if "public_statement" in vals and (self.public_statement or "") != (
            vals["public_statement"] or ""
        ):
            return True
        if "public_title" in vals:
            # an empty customer-facing title is the title
            new_title = vals["public_title"] or vals.get("name", self.name)
            return (self.public_title or "") != (new_title or "")
        return False

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_approve_statement(self):
        if not self.env.user.has_group("crisis_management.group_crisis_manager"):
            raise AccessError(
                self.env._("Only a Crisis Manager can approve the public statement.")
            )
        empty = self.filtered(lambda c: is_html_empty(c.public_statement))
        if empty:
            raise UserError(
                self.env._(
                    "Crisis %(reference)s has no public statement to approve.",
                    reference=empty[0].reference,
                )
            )
        written = self.filtered(
            lambda c: c._crisis_text_approval_refusal(c.statement_editor_ids) == "writer"
        )
        if written:
            raise UserError(
                self.env._(
                    "Crisis %(reference)s: you wrote or changed its public statement or "
                    "customer-facing title since it was last approved. Another Crisis Manager "
                    "approves it: what customers read of this crisis is approved by a second "
                    "person.",
                    reference=written[0].reference,
                )
            )
        self.check_access("write")
        as_workflow(self).write(
            {
                "statement_state": "approved",
                "statement_approved_by_id": self.env.uid,
                "date_statement_approved": fields.Datetime.now(),
            }
        )
        return True

    def action_reset_statement(self):
        """Back to draft: the statement must be approved again before it is sent."""
        self.check_access("write")
        as_workflow(self).write(
            {
                "statement_state": "draft",
                "statement_approved_by_id": False,
                "date_statement_approved": False,
            }
        )
        return True

    def action_approve_edited_message(self):
        """Approve the message waiting for approval: it may then be sent as it
        is, from the Notify Customers window."""
        if not self.env.user.has_group("crisis_management.group_crisis_manager"):
            raise AccessError(self.env._("Only a Crisis Manager can approve a message."))
        for crisis in self:
            if is_html_empty(crisis.edited_message) or crisis.edited_message_approved_by_id:
                raise UserError(
                    self.env._(
                        "Crisis %(reference)s has no message waiting for approval.",
                        reference=crisis.reference,
                    )
                )
            if crisis._crisis_text_approval_refusal(crisis.edited_message_user_id):
                raise UserError(
                    self.env._(
                        "Crisis %(reference)s: you wrote this message. Another Crisis Manager "
                        "approves it: what customers read of this crisis is approved by a "
                        "second person.",
                        reference=crisis.reference,
                    )
                )
        self.check_access("write")
        as_workflow(self).write({"edited_message_approved_by_id": self.env.uid})
        self._crisis_close_message_activities()
        for crisis in self:
            crisis.message_post(
                body=self.env._(
                    "The message of %(user)s is approved: send it from Notify Customers.",
                    user=crisis.edited_message_user_id.name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_discard_edited_message(self):
        """Drop the message kept for sending (waiting for approval or approved):
        its writer or a Crisis Manager."""
        is_manager = self.env.user.has_group("crisis_management.group_crisis_manager")
        others = self.filtered(lambda c: c.edited_message_user_id != self.env.user)
        if others and not is_manager:
            raise AccessError(
                self.env._("Only its writer or a Crisis Manager can discard the message.")
            )
        self.check_access("write")
        self._crisis_close_message_activities(decided=False)
        as_workflow(self).write(
            {
                "edited_message": False,
                "edited_message_user_id": False,
                "edited_message_approved_by_id": False,
            }
        )
        return True

    def action_send_edited_message(self):
        """The Notify Customers window with the approved message."""
        self.ensure_one()
        if not self.edited_message_approved_by_id:
            raise UserError(
                self.env._(
                    "Crisis %(reference)s has no approved message to send.",
                    reference=self.reference,
                )
            )
        action = self.action_notify_customers()
        action["context"] = dict(action.get("context") or {}, default_body=self.edited_message)
        return action

    # ------------------------------------------------------------------
    # One voice: who approves what customers read
    # ------------------------------------------------------------------

    def _crisis_second_approver_required(self):
        """Whether what this crisis says to customers is approved by someone
        who did not write it: always for high and critical crises, from the
        company's chosen severity for the others (Crisis Settings). Drills
        too: they rehearse the real approval."""
        self.ensure_one()
        rank = {level: number for number, (level, _label) in enumerate(SEVERITIES)}
        company = self.company_id or self.env.company
        threshold = min(
            rank.get(company.crisis_statement_four_eyes_severity, rank["high"]), rank["high"]
        )
        return rank.get(self.severity or "medium", 0) >= threshold

    def _crisis_text_approval_refusal(self, writers):
        """Why the current user may not approve a text of this crisis written
        by ``writers`` (users): ``"manager"`` (not a Crisis Manager),
        ``"writer"`` (one of them, and a second approver is required), or
        ``False`` when they may."""
        self.ensure_one()
        user = self.env.user
        if not user.has_group("crisis_management.group_crisis_manager"):
            return "manager"
        if user in writers and self._crisis_second_approver_required():
            return "writer"
        return False

    @api.model
    def _crisis_same_text(self, body, other):
        """Whether two HTML texts say the same words (the editor of the notify
        wizard may rewrite the markup)."""
        words = html2plaintext(body or "").split()
        return bool(words) and words == html2plaintext(other or "").split()

    def _crisis_may_send(self, body):
        """Whether the current user may send ``body`` to the customers of this
        crisis: nothing (the statement is sent), the statement in one of its
        languages, the edited message once approved, or a text they may
        approve themselves (a Crisis Manager, when no second approver is
        required)."""
        self.ensure_one()
        if is_html_empty(body) or self._crisis_is_statement(body):
            return True
        if self.edited_message_approved_by_id and self._crisis_same_text(
            body, self.edited_message
        ):
            return True
        return not self._crisis_text_approval_refusal(self.env.user)

    def _crisis_request_message_approval(self, body):
        """Keep ``body``, written by the current user, as the message to send
        to the customers of this crisis once a Crisis Manager approves it
        (another one, when a second approver is required); it replaces the
        message kept before. The Crisis Managers who may approve it get an
        activity."""
        self.ensure_one()
        self._check_can_speak_to_customers()
        self.check_access("write")
        if is_html_empty(body):
            raise UserError(self.env._("Write the message to approve first."))
        self._crisis_close_message_activities(decided=False)
        as_workflow(self).write(
            {
                "edited_message": body,
                "edited_message_user_id": self.env.uid,
                "edited_message_approved_by_id": False,
            }
        )
        self.message_post(
            body=Markup("%s<blockquote>%s</blockquote>")
            % (
                self.env._(
                    "%(user)s asks to send this message to the affected customers:",
                    user=self.env.user.name,
                ),
                self.edited_message,
            ),
            subtype_xmlid="mail.mt_note",
        )
        managers = (
            self.env.ref("crisis_management.group_crisis_manager")
            .sudo()
            .users.filtered(
                lambda user: (
                    user.active
                    and not user.share
                    and self.company_id in user.company_ids
                    and (user != self.env.user or not self.second_approver_required)
                )
            )
        )
        self.env["crisis.reminder.mixin"]._crisis_schedule_activities(
            [(self, manager) for manager in managers],
            summary_of=lambda crisis: crisis.env._("Message to approve"),
            date_of=lambda crisis: fields.Date.context_today(crisis),
            note_of=lambda crisis: crisis.env._(
                "%(user)s asks to send a message to the affected customers of %(crisis)s: "
                "approve it in the Communication tab.",
                user=crisis.edited_message_user_id.name,
                crisis=crisis.display_name,
            ),
            activity_type_xmlid=MESSAGE_TO_APPROVE,
        )
        return True

    def _crisis_close_message_activities(self, decided=True):
        """The approvers' "Message to Approve" activities end with the request:
        the deciding user's one is done, the others go."""
        crises = self.sudo()
        if decided:
            crises.activity_feedback([MESSAGE_TO_APPROVE], user_id=self.env.uid)
        crises.activity_unlink([MESSAGE_TO_APPROVE])

    def _crisis_is_statement(self, body):
        """Whether ``body`` says what the public statement says, in one of its
        languages: such an update is sent to each customer with the statement
        in their language.

        Compared as text: the editor of the notify wizard may rewrite the
        markup of the statement it proposes.
        """
        self.ensure_one()
        crisis = self._origin
        words = html2plaintext(body or "").split()
        if not words or not crisis.id:
            return False
        stored = crisis._fields["public_statement"]._get_stored_translations(crisis) or {}
        return any(html2plaintext(value or "").split() == words for value in stored.values())

    def _crisis_untranslated_langs(self, field_names=STATEMENT_FIELDS):
        """The active languages, English aside, in which one of ``field_names``
        (the public statement, the customer-facing title) has no translation of
        its own: customers speaking them read the English text."""
        self.ensure_one()
        crisis = self._origin
        if not crisis.id:
            return set()
        langs = {code for code, _name in self.env["res.lang"].get_installed()} - {"en_US"}
        missing = set()
        for name in field_names:
            stored = crisis._fields[name]._get_stored_translations(crisis) or {}
            source = stored.get("en_US")
            if not source or (name == "public_statement" and is_html_empty(source)):
                continue
            missing |= {lang for lang in langs if stored.get(lang) in (None, "", source)}
        return missing

    # ------------------------------------------------------------------
    # The gate: may the crisis speak to its customers now
    # ------------------------------------------------------------------

    @api.model
    def _crisis_speak_conditions(self, kind=None):
        """The rule for speaking to customers, as ``(refusal, domain)`` pairs
        on crises: a crisis may send a message of ``kind`` to its customers
        when it matches every domain; the first one it does not match is the
        refusal.

        The rule is written here only: the gate (``_crisis_speak_refusal``),
        the crises that may speak as a domain (``_crisis_speak_domain``) and
        in SQL (``_crisis_speak_sql``) are made from it. A module adding a
        condition adds it here, with its text in
        ``_crisis_speak_refusal_text``; every path follows.

        :param kind: what is sent: a kind of customer update
            (``crisis.update.kind``), or ``None`` for any message to the
            customers (emails and text messages about a line or a
            compensation: Odoo's composers, the mail queue, an offer).
            Every kind follows the same rule today.
        """
        return [
            # a drill rehearses: never a word to the customers
            ("drill", [("is_drill", "=", False)]),
            # one voice: nothing goes before a Crisis Manager approves the statement
            ("statement", [("statement_state", "=", "approved")]),
        ]

    def _crisis_speak_refusal(self, kind=None, body=None):
        """The gate: why this crisis may not send a message of ``kind`` to its
        customers now, ``False`` when it may.

        Every path to the customers asks it (``_check_can_speak_to_customers``
        raises its reason): Notify Customers, the customer updates
        (``crisis.update._crisis_queue``) and the stage emails, Odoo's mail
        and SMS composers, the mail queue (``mail.mail``), the offer of a
        compensation, the loyalty cards. The paths that pick their work in SQL
        (the sending jobs, the reach policy, the satisfaction survey) ask its
        SQL twin, ``_crisis_speak_sql``: the same rule, made from the same
        conditions (``_crisis_speak_conditions``).

        :param kind: see ``_crisis_speak_conditions``
        :param body: the text sent, when it is not the approved public
            statement: the current user must be allowed to send it
            (``_crisis_may_send``: approved, by someone who did not write it
            when the crisis' severity and the company's four-eyes setting ask
            for a second approver)
        :return: ``"drill"``, ``"statement"`` (not approved), ``"message"``
            (``body`` not approved), or ``False``
        """
        self.ensure_one()
        for refusal, domain in self._crisis_speak_conditions(kind):
            if not self.filtered_domain(domain):
                return refusal
        if body and not self._crisis_may_send(body):
            return "message"
        return False

    def _crisis_speak_refusal_text(self, refusal):
        """The error saying ``refusal`` (of ``_crisis_speak_refusal``) for this crisis."""
        self.ensure_one()
        if refusal == "drill":
            return self.env._(
                "%(reference)s is a drill: drills never send anything to customers.",
                reference=self.reference,
            )
        if refusal == "statement":
            return self.env._(
                "Crisis %(reference)s: nothing goes to customers before a Crisis Manager "
                "approves the public statement.",
                reference=self.reference,
            )
        if refusal == "message":
            return self.env._(
                "Crisis %(reference)s: this message is not the approved public "
                "statement, and nobody else approved it. Request its approval from the "
                "Notify Customers window (a Crisis Manager who did not write it "
                "approves it), or send the public statement as it is.",
                reference=self.reference,
            )
        raise ValueError(f"No text for the refusal {refusal!r}: see _crisis_speak_conditions")

    def _check_can_speak_to_customers(self, kind=None, body=None):
        """Raise a ``UserError`` unless each of these crises may send a message
        of ``kind`` (``body``, when it is not the approved statement) to its
        customers now: the gate, ``_crisis_speak_refusal``."""
        for crisis in self:
            refusal = crisis._crisis_speak_refusal(kind, body)
            if refusal:
                raise UserError(crisis._crisis_speak_refusal_text(refusal))

    @api.model
    def _crisis_speak_domain(self, kind=None):
        """The gate as a domain: the crises that may send a message of ``kind``
        to their customers now (``_crisis_speak_conditions``). The pages the
        customers and the public read show those only."""
        return expression.AND([domain for _refusal, domain in self._crisis_speak_conditions(kind)])

    @api.model
    def _crisis_speak_sql(self, crisis_id, kind=None):
        """The gate in SQL, for the paths that pick their work in the database:
        a condition saying that the crisis whose id is the SQL expression
        ``crisis_id`` (e.g. ``SQL.identifier("update", "crisis_id")``) may send
        a message of ``kind`` to its customers now.

        The same rule as ``_crisis_speak_refusal`` (a message ``body`` aside:
        it was checked when the update was queued), compiled from the same
        domain (``_crisis_speak_domain``), whoever runs it: archived crises
        and record rules play no part. A send whose crisis may no longer
        speak waits until it may again. The caller flushes before running it.
        """
        query = self._where_calc(self._crisis_speak_domain(kind), active_test=False)
        return SQL("%s IN %s", crisis_id, query.subselect())
