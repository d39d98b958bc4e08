from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_amount
from odoo.tools.misc import formatLang

from .crisis_workflow_mixin import as_workflow

COMPENSATION_TYPES = [
    ("refund", "Refund"),
    ("credit", "Credit"),
    ("voucher", "Voucher"),
    ("free_service", "Free Service"),
    ("replacement", "Replacement"),
    ("extended_warranty", "Extended Warranty"),
    ("gift", "Gift"),
    ("other", "Other"),
]
COMPENSATION_STATES = [
    ("draft", "Draft"),
    ("to_approve", "To Approve"),
    ("approved", "Approved"),
    ("delivered", "Delivered"),
    ("rejected", "Rejected"),
    ("cancelled", "Cancelled"),
]
# states whose amount counts in the totals, and whose amount is locked
COMMITTED_STATES = ("approved", "delivered")
# what a compensation is: only a draft may change it
DRAFT_ONLY_FIELDS = ("impact_id", "type", "amount", "currency_id", "date_requested", "user_id")
# the approvers' reminder of a submitted request
TO_APPROVE = "crisis_management.mail_act_crisis_compensation_to_approve"
# the marker a background job puts in the context of its batches: everyone is
# told once, when the job ends (a Python object: no external caller can send it
# to silence the messages)
TOLD_LATER = object()
# the approvers' one activity on a crisis for many requests submitted at once
BATCH_TO_APPROVE = "crisis_management.mail_act_crisis_compensations_to_approve"
# the largest amount of one compensation: beyond it, a typo (and totals lose cents)
MAX_AMOUNT = 1e12


class CrisisCompensation(models.Model):
    _name = "crisis.compensation"
    _description = "Crisis Compensation"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "crisis.workflow.mixin",
        "crisis.four.eyes.mixin",
    ]
    _order = "id desc"
    _rec_name = "reference"
    _check_company_auto = True
    _crisis_checks_itself = True
    _crisis_workflow_fields = (
        "reference",
        "state",
        "submitted_by_id",
        "date_submitted",
        "approved_by_id",
        "date_approved",
        "date_delivered",
        "involved_user_ids",
    )
    # whoever sets these takes part in the request: they do not approve it
    _crisis_four_eyes_fields = DRAFT_ONLY_FIELDS

    reference = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        index="trigram",
        default=lambda self: self.env._("New"),
    )
    impact_id = fields.Many2one(
        "crisis.impact",
        string="Affected Customer",
        required=True,
        ondelete="restrict",
        index=True,
        check_company=True,
    )
    # not precomputed: that would leave new records in the inverse one2many caches
    crisis_id = fields.Many2one(related="impact_id.crisis_id", store=True, index=True)
    partner_id = fields.Many2one(related="impact_id.partner_id", store=True, index=True)
    company_id = fields.Many2one(related="impact_id.company_id", store=True, index=True)
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    is_drill = fields.Boolean(related="crisis_id.is_drill")
    type = fields.Selection(COMPENSATION_TYPES, required=True, default="voucher", tracking=True)
    amount = fields.Monetary(currency_field="currency_id", tracking=True)
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
        tracking=True,
    )
    amount_company = fields.Monetary(
        string="Amount in Company Currency",
        currency_field="company_currency_id",
        compute="_compute_amount_company",
        store=True,
        help="Converted at the rate of the request date; fixed once approved.",
    )
    description = fields.Text()
    delivery_details = fields.Text(
        compute="_compute_delivery_details",
        help="What the customer needs to use the compensation once delivered (a gift card "
        "code, a credit note number...): shown on their page and in the delivery emails. "
        "Filled by the modules that deliver compensations (accounting, loyalty).",
    )
    state = fields.Selection(
        COMPENSATION_STATES, required=True, default="draft", tracking=True, index=True, copy=False
    )
    user_id = fields.Many2one(
        "res.users",
        string="Requested By",
        required=True,
        tracking=True,
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
    )
    submitted_by_id = fields.Many2one(
        "res.users",
        readonly=True,
        copy=False,
        help="Who sent the request for approval; they cannot approve it.",
    )
    date_submitted = fields.Datetime(string="Submitted On", readonly=True, copy=False)
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    date_requested = fields.Date(
        string="Request Date", required=True, default=fields.Date.context_today, copy=False
    )
    date_approved = fields.Datetime(string="Approved On", readonly=True, copy=False)
    date_delivered = fields.Datetime(string="Delivered On", readonly=True, copy=False)
    # what the current user may do with a request waiting for approval
    can_approve = fields.Boolean(
        compute="_compute_can_approve",
        help="Whether you may approve or reject this request: never your own, and above "
        "the company limit only as a Crisis Manager.",
    )
    approval_waiting_for = fields.Selection(
        [("manager", "A Crisis Manager"), ("other", "Another Approver")],
        compute="_compute_can_approve",
        help="Who the request waits for when you may not approve it: a Crisis Manager, or "
        "another approver than you (nobody approves their own request).",
    )

    @api.depends("amount", "currency_id", "date_requested", "company_id")
    def _compute_amount_company(self):
        for compensation in self:
            if (
                compensation.state in COMMITTED_STATES
                and compensation.date_approved
                and compensation.amount_company  # the stored value
            ):
                continue  # fixed at approval
            company = compensation.company_id or self.env.company
            compensation.amount_company = compensation.currency_id._convert(
                compensation.amount,
                company.currency_id,
                company,
                compensation.date_requested or fields.Date.context_today(self),
            )

    def _compute_delivery_details(self):
        """Nothing to say in the core: delivering is a button. The bridge
        modules that make a credit note or a gift card extend this."""
        self.delivery_details = False

    @api.depends(
        "state",
        "amount_company",
        "user_id",
        "create_uid",
        "submitted_by_id",
        "involved_user_ids",
        "company_id.crisis_compensation_user_limit",
    )
    @api.depends_context("uid")
    def _compute_can_approve(self):
        for compensation in self:
            if compensation.state != "to_approve":
                compensation.can_approve = False
                compensation.approval_waiting_for = False
                continue
            refusal = compensation._approval_refusal()
            compensation.can_approve = not refusal
            if not refusal:
                compensation.approval_waiting_for = False
            elif refusal == "own" and not compensation._approval_refusal(own=False):
                compensation.approval_waiting_for = "other"
            else:
                compensation.approval_waiting_for = "manager"

    @api.constrains("amount")
    def _check_amount(self):
        for compensation in self:
            self._crisis_check_amount(compensation.amount)

    @api.model
    def _crisis_check_amount(self, amount):
        """:raise ValidationError: ``amount`` is negative or beyond ``MAX_AMOUNT``."""
        if amount < 0:
            raise ValidationError(self.env._("A compensation amount cannot be negative."))
        if amount > MAX_AMOUNT:
            raise ValidationError(
                self.env._(
                    "A compensation amount cannot be more than %(max)s.",
                    max=formatLang(self.env, MAX_AMOUNT, digits=0),
                )
            )

    @api.constrains("currency_id")
    def _check_currency_id(self):
        self._check_currency_active(self.currency_id)

    @api.model
    def _check_currency_active(self, currencies):
        inactive = currencies.filtered(lambda currency: not currency.active)
        if inactive:
            raise ValidationError(
                self.env._(
                    "The currency %(currency)s is not active: activate it first or choose "
                    "another currency for the compensation.",
                    currency=inactive[0].name,
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = self._crisis_without_line_crisis(vals_list, create=True)
        self = self._crisis_check_values(vals_list, create=True)
        missing = [vals for vals in vals_list if not vals.get("reference")]
        impacts = self.env["crisis.impact"].browse(
            {vals["impact_id"] for vals in missing if vals.get("impact_id")}
        )
        # the references count per company and year of request: drawn in one
        # query per company and request date
        today = fields.Date.context_today(self)
        default_date = self.env.context.get("default_date_requested")
        by_counter = {}
        for vals in missing:
            impact = impacts.browse(vals.get("impact_id"))
            requested = fields.Date.to_date(vals.get("date_requested") or default_date) or today
            key = (impact.company_id or self.env.company, requested)
            by_counter.setdefault(key, []).append(vals)
        for (company, requested), counter_vals in by_counter.items():
            references = company._crisis_next_references(
                "crisis.compensation", len(counter_vals), date=requested
            )
            for vals, reference in zip(counter_vals, references, strict=True):
                vals["reference"] = reference
        return super().create(vals_list)

    def write(self, vals):
        [vals] = self._crisis_without_line_crisis([vals])
        self._crisis_check_values([vals])
        moved = self.browse()
        if not self._crisis_is_workflow():
            locked = [name for name in DRAFT_ONLY_FIELDS if name in vals]
            not_draft = self.filtered(lambda c: c.state != "draft")
            if locked and not_draft:
                raise UserError(
                    self.env._(
                        "%(reference)s (%(state)s): only a draft compensation can change its "
                        "customer, type, amount, currency, request date or requester. Cancel it "
                        "(a Crisis Manager cancels approved ones) and make a new request.",
                        reference=not_draft[0].reference,
                        state=dict(self._fields["state"]._description_selection(self.env))[
                            not_draft[0].state
                        ],
                    )
                )
            # the user must be allowed to work on the target line
            moved = self._crisis_moving("impact_id", vals)
        result = super().write(vals)
        if moved:
            # and the record rules must still let them change it where it went
            moved.check_access("write")
        return result

    def _crisis_without_line_crisis(self, vals_list, create=False):
        """``vals_list`` without the ``crisis_id`` that is the crisis of the
        affected-customer line anyway (the line's in the values, or the one the
        records have): CSV imports and integrators carry that column.

        The crisis follows the line: any other crisis stays in the values, and
        the workflow guard refuses it as any computed field.
        """
        result = []
        for vals in vals_list:
            if "crisis_id" in vals:
                if "impact_id" in vals:
                    impacts = self.env["crisis.impact"].browse(vals["impact_id"])
                elif create:
                    default = self.env.context.get("default_impact_id")
                    impacts = self.env["crisis.impact"].browse(default)
                else:
                    impacts = self.impact_id
                # sudo: only compared with the crisis given, whoever may read the line
                if impacts and impacts.sudo().crisis_id.ids == [vals["crisis_id"]]:
                    vals = {name: value for name, value in vals.items() if name != "crisis_id"}
            result.append(vals)
        return result

    def _track_subtype(self, initial_values):
        self.ensure_one()
        if "state" in initial_values and self.state == "to_approve":
            return self.env.ref("crisis_management.mt_compensation_to_approve")
        if "state" in initial_values and self.state == "approved":
            return self.env.ref("crisis_management.mt_compensation_approved")
        if "state" in initial_values and self.state == "rejected":
            return self.env.ref("crisis_management.mt_compensation_rejected")
        return super()._track_subtype(initial_values)

    def _message_auto_subscribe(self, updated_values, followers_existing_policy="skip"):
        """The followers of a crisis follow its compensations (the subtypes
        ``mt_crisis_compensation_*`` of the crisis), from their creation and
        from their submission on.

        ``crisis_id`` follows the affected customer: it is never in the values
        written, where Odoo looks for the parent record.
        """
        if "crisis_id" in updated_values or not (
            updated_values.get("impact_id") or updated_values.get("state") == "to_approve"
        ):
            return super()._message_auto_subscribe(updated_values, followers_existing_policy)
        for crisis, compensations in self.grouped("crisis_id").items():
            super(CrisisCompensation, compensations)._message_auto_subscribe(
                dict(updated_values, crisis_id=crisis.id), followers_existing_policy
            )
        return True

    @api.ondelete(at_uninstall=False)
    def _unlink_except_committed(self):
        kept = self.filtered(
            lambda c: c.state not in ("draft", "rejected", "cancelled") or c.date_approved
        )
        if kept:
            raise UserError(
                self.env._(
                    "%(reference)s is waiting for approval, approved, delivered or was approved "
                    "once: it is kept for the record. Cancel it instead.",
                    reference=kept[0].reference,
                )
            )

    # ------------------------------------------------------------------
    # Workflow
    # ------------------------------------------------------------------

    def _check_state(self, allowed, message):
        wrong = self.filtered(lambda c: c.state not in allowed)
        if wrong:
            raise UserError(message % {"reference": wrong[0].reference})

    def _requesters(self):
        """The users the request is of: its requester, creator and submitter,
        and whoever changed its requester, customer, type, amount, currency or
        request date (``involved_user_ids``)."""
        self.ensure_one()
        return self.user_id | self.submitted_by_id | self._crisis_involved_users()

    def _approval_refusal(self, own=True):
        """Why the current user may not approve or reject this request:
        ``"own"`` (their own request, checked unless not ``own``),
        ``"limit"`` (above their limit), or ``False`` when they may.
        """
        self.ensure_one()
        user = self.env.user
        if own and user in self._requesters():
            return "own"
        if user.has_group("crisis_management.group_crisis_manager"):
            return False
        limit = self.company_id.crisis_compensation_user_limit
        if limit <= 0 or self.amount_company > limit:
            return "limit"
        return False

    def _check_approval_rights(self):
        """Nobody approves their own request; users only under the company limit.

        The request is the requester's, its creator's, its submitter's and
        theirs who changed what it is (``_requesters``): none of them approves
        or rejects it, whatever *Requested By* says now.
        """
        for compensation in self:
            refusal = compensation._approval_refusal()
            if refusal == "own":
                raise UserError(
                    self.env._(
                        "%(reference)s: nobody approves or rejects their own request, nor one "
                        "they submitted or whose requester, customer, type or amount they "
                        "changed: someone else does.",
                        reference=compensation.reference,
                    )
                )
            if refusal:
                limit = compensation.company_id.crisis_compensation_user_limit
                raise UserError(
                    self.env._(
                        "%(reference)s: only a Crisis Manager can approve or reject it "
                        "(your limit: %(limit)s %(currency)s).",
                        reference=compensation.reference,
                        limit=limit,
                        currency=compensation.company_currency_id.name,
                    )
                )

    def action_submit(self):
        """Send these drafts for approval: at once, or in the background above
        the company's threshold (a notification then tells so)."""
        return self._crisis_in_background("submit") or self._crisis_submit()

    def action_approve(self):
        """Approve these requests: at once, or in the background above the
        company's threshold, with the same checks (a notification then tells so)."""
        return self._crisis_in_background("approve") or self._crisis_approve()

    def action_reject(self):
        """Reject these requests: at once, or in the background above the
        company's threshold, with the same checks (a notification then tells so)."""
        return self._crisis_in_background("reject") or self._crisis_reject()

    def action_deliver(self):
        self._crisis_check_deliverable()
        as_workflow(self).write({"state": "delivered", "date_delivered": fields.Datetime.now()})
        return True

    def _crisis_submit(self):
        self._crisis_check_action("submit")
        as_workflow(self._crisis_bulk_quiet()).write(
            {
                "state": "to_approve",
                "submitted_by_id": self.env.uid,
                "date_submitted": fields.Datetime.now(),
                "involved_user_ids": [Command.link(self.env.uid)],
            }
        )
        self._crisis_bulk_log("submit")
        self._schedule_approval_activities()
        if self._crisis_is_bulk() and not self._crisis_told_later():
            self._crisis_tell_submitted(self.env.user)
        return True

    def _crisis_tell_submitted(self, user):
        """One message per crisis for its followers of the compensations to
        approve (``mt_crisis_compensation_to_approve``): how many ``user``
        submitted at once, never one per compensation."""
        for crisis, compensations in self.sudo().grouped("crisis_id").items():
            in_lang = crisis.with_context(lang=user.lang or self.env.lang)
            crisis.message_post(
                body=in_lang.env._(
                    "%(user)s submitted %(count)s compensation request(s) for approval at once "
                    "(%(amount)s).",
                    user=user.name,
                    count=len(compensations),
                    amount=format_amount(
                        self.env,
                        sum(compensations.mapped("amount_company")),
                        crisis.company_id.currency_id,
                    ),
                ),
                author_id=user.partner_id.id,
                subtype_xmlid="crisis_management.mt_crisis_compensation_to_approve",
            )

    def _crisis_approve(self):
        self._crisis_check_action("approve")
        # the company amount is final from now on: computed before the approval
        self.flush_recordset(["amount_company"])
        # the approval rights were checked above: an approver need not be on the crisis
        as_workflow(self.sudo()._crisis_bulk_quiet()).write(
            {
                "state": "approved",
                "approved_by_id": self.env.uid,
                "date_approved": fields.Datetime.now(),
            }
        )
        self._close_approval_activities()
        self._crisis_bulk_log("approve")
        self._crisis_bulk_tell_requesters("approve")
        return True

    def _crisis_reject(self):
        self._crisis_check_action("reject")
        as_workflow(self.sudo()._crisis_bulk_quiet()).write({"state": "rejected"})
        self._close_approval_activities()
        self._crisis_bulk_log("reject")
        self._crisis_bulk_tell_requesters("reject")
        return True

    def action_cancel(self):
        self._check_state(
            ("draft", "to_approve", "approved"),
            self.env._("%(reference)s is delivered or closed: it cannot be cancelled."),
        )
        approved = self.filtered(lambda c: c.state == "approved")
        if approved and not self.env.user.has_group("crisis_management.group_crisis_manager"):
            raise AccessError(
                self.env._(
                    "%(reference)s is approved: only a Crisis Manager can cancel it.",
                    reference=approved[0].reference,
                )
            )
        self.check_access("write")
        as_workflow(self).write({"state": "cancelled"})
        self._close_approval_activities(decided=False)
        return True

    def action_draft(self):
        self._check_state(
            ("rejected", "cancelled"), self.env._("%(reference)s cannot go back to draft.")
        )
        once_approved = self.filtered("date_approved")
        if once_approved:
            raise UserError(
                self.env._(
                    "%(reference)s was approved once: it stays cancelled for the record. "
                    "Make a new request instead.",
                    reference=once_approved[0].reference,
                )
            )
        self.check_access("write")
        as_workflow(self).write(
            {
                "state": "draft",
                "submitted_by_id": False,
                "date_submitted": False,
                "approved_by_id": False,
                "date_approved": False,
            }
        )
        return True

    def action_send_offer(self):
        """Open the composer with the compensation offer.

        Never for drills, nor before the crisis statement is approved.
        """
        self.ensure_one()
        self.crisis_id._check_can_speak_to_customers()
        self._check_state(("approved", "delivered"), self.env._("%(reference)s is not approved."))
        template = self.env.ref("crisis_management.mail_template_compensation_offer")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send Offer"),
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": self._name,
                "default_res_ids": self.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
                "force_email": True,
            },
        }

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _crisis_approvers(self):
        """The Crisis Managers who may approve requests (active, internal)."""
        return (
            self.env.ref("crisis_management.group_crisis_manager")
            .sudo()
            .users.filtered(lambda user: user.active and not user.share)
        )

    def _schedule_approval_activities(self):
        """A "Compensation to Approve" activity for each approver of the
        submitted requests: the Crisis Managers of their company, but for
        their requester, creator and submitter. Many at once: one activity
        per crisis and approver (``_schedule_batch_approval_activities``).
        """
        if self._crisis_is_bulk():
            return self._schedule_batch_approval_activities()
        managers = self._crisis_approvers()
        self.env["crisis.reminder.mixin"]._crisis_schedule_activities(
            [
                (compensation, manager)
                for compensation in self
                for manager in managers - compensation._requesters()
                if compensation.company_id in manager.company_ids
            ],
            summary_of=lambda compensation: compensation.env._("Compensation to approve"),
            date_of=lambda compensation: fields.Date.context_today(compensation),
            note_of=lambda compensation: compensation.env._(
                "%(requester)s requests a compensation (%(type)s, %(amount)s) for "
                "%(customer)s, crisis %(crisis)s: approve or reject it.",
                requester=compensation.user_id.name,
                type=dict(compensation._fields["type"]._description_selection(compensation.env))[
                    compensation.type
                ],
                amount=format_amount(
                    compensation.env, compensation.amount, compensation.currency_id
                ),
                customer=compensation.partner_id.display_name,
                crisis=compensation.crisis_id.display_name,
            ),
            activity_type_xmlid=TO_APPROVE,
        )

    def _close_approval_activities(self, decided=True):
        """The approvers' activities end with the request: on a decision, the
        deciding user's one is done and the others, no longer needed, go;
        on a cancellation, they all go. The crisis-level ones of many requests
        say how many still wait, and end with the last one.
        """
        # sudo: the activities of every approver, whoever decides (an approver
        # need not be on the crisis)
        compensations = self.sudo()
        if decided:
            compensations.activity_feedback([TO_APPROVE], user_id=self.env.uid)
        compensations.activity_unlink([TO_APPROVE])
        crises = self.crisis_id
        batch = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "crisis.crisis"),
                    ("res_id", "in", crises.ids),
                    ("activity_type_id", "=", self.env.ref(BATCH_TO_APPROVE).id),
                ]
            )
        )
        if batch:
            self._crisis_refresh_batch_activities(batch, self._crisis_waiting_by_crisis(crises))

    @api.model
    def _crisis_totals(self, field_name, ids, states=COMMITTED_STATES):
        """{id: amount in company currency of the compensations in ``states``
        (committed ones by default)} grouped by ``field_name``."""
        groups = self._read_group(
            [(field_name, "in", ids), ("state", "in", tuple(states))],
            [field_name],
            ["amount_company:sum"],
        )
        return {record.id: total for record, total in groups}
