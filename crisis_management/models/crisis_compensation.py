from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import clean_context, format_amount, split_every
from odoo.tools.misc import formatLang

from .crisis_workflow_mixin import as_workflow

# compensations made per create() call when many are proposed at once
PROPOSE_BATCH_SIZE = 1000

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

    # ------------------------------------------------------------------
    # Many at once: one summary per person, never one per record
    # ------------------------------------------------------------------

    def _crisis_told_later(self):
        """A batch of a background job: everyone is told when the job ends."""
        return self.env.context.get("crisis_bulk_told_later") is TOLD_LATER

    def _crisis_is_bulk(self):
        """Many at once: more than one, or a batch of a background job."""
        return len(self) > 1 or self._crisis_told_later()

    def _crisis_bulk_quiet(self):
        """These compensations, written without a tracking message (and its
        email to each follower) per record when they are many: the bulk
        action logs each record and tells each person once."""
        return self.with_context(tracking_disable=True) if self._crisis_is_bulk() else self

    def _crisis_bulk_log(self, action):
        """The chatter of each compensation of a bulk action says what
        happened, as a log (nobody notified)."""
        if not self._crisis_is_bulk():
            return
        texts = {
            "submit": self.env._("Submitted for approval by %(user)s, with %(count)s others."),
            "approve": self.env._("Approved by %(user)s, with %(count)s others."),
            "reject": self.env._("Rejected by %(user)s, with %(count)s others."),
        }
        body = texts[action] % {"user": self.env.user.name, "count": max(len(self) - 1, 0)}
        self.sudo()._message_log_batch(bodies=dict.fromkeys(self.ids, body))

    def _crisis_bulk_tell_requesters(self, action):
        """One message per crisis to the requesters of the compensations a
        bulk action approved or rejected (with their numbers), instead of one
        email per compensation; the background job tells once at its end."""
        if not self._crisis_is_bulk() or self._crisis_told_later():
            return
        self._crisis_tell_requesters(action, self.env.user)

    def _crisis_tell_requesters(self, action, user):
        """A note on each crisis of these compensations naming the requesters
        (notified once each): how many of their requests ``user`` approved or
        rejected."""
        for crisis, compensations in self.sudo().grouped("crisis_id").items():
            requesters = compensations.user_id | compensations.submitted_by_id
            partners = (requesters - user).partner_id
            if not partners:
                continue
            in_lang = crisis.with_context(lang=user.lang or self.env.lang)
            texts = {
                "approve": in_lang.env._(
                    "%(user)s approved %(count)s compensation request(s) of %(crisis)s at once "
                    "(%(amount)s): they can be offered to the customers.",
                ),
                "reject": in_lang.env._(
                    "%(user)s rejected %(count)s compensation request(s) of %(crisis)s at once "
                    "(%(amount)s).",
                ),
            }
            amount = format_amount(
                self.env,
                sum(compensations.mapped("amount_company")),
                crisis.company_id.currency_id,
            )
            body = texts[action] % {
                "user": user.name,
                "count": len(compensations),
                "crisis": crisis.reference,
                "amount": amount,
            }
            crisis.message_post(
                body=body,
                partner_ids=partners.ids,
                author_id=user.partner_id.id,
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )

    def _crisis_check_action(self, action):
        """Raise unless the current user may do ``action`` (``submit``,
        ``approve``, ``reject``, ``deliver``) on all of these now."""
        if action == "submit":
            self._check_state(("draft",), self.env._("%(reference)s is not a draft."))
            self.check_access("write")
        elif action in ("approve", "reject"):
            self._check_state(
                ("to_approve",), self.env._("%(reference)s is not waiting for approval.")
            )
            self._check_approval_rights()
        else:
            self._crisis_check_deliverable()

    # ------------------------------------------------------------------
    # In the background
    # ------------------------------------------------------------------

    def _crisis_above_threshold(self):
        """Whether these compensations are more than the threshold of one of
        their companies: then a button works on them in the background."""
        companies = self.company_id or self.env.company
        return len(self) > min(companies.mapped("crisis_compensation_background_threshold"))

    def _crisis_in_background(self, action):
        """Queue ``action`` on these compensations if they are above the
        threshold (``crisis.compensation.bulk.job``), after the checks of the
        click: the job makes them again, batch by batch.

        :return: the notification telling so, or ``False`` (not above)
        """
        if not self._crisis_above_threshold():
            return False
        self._crisis_check_action(action)
        self._crisis_queue_bulk(action)
        actions = dict(
            self.env["crisis.compensation.bulk.job"]
            ._fields["action"]
            ._description_selection(self.env)
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": actions[action],
                "message": self.env._(
                    "%(count)s compensation(s) are being processed in the background. The "
                    "chatter of their crisis says when it is done; Crisis > Background Jobs "
                    "shows the progress.",
                    count=len(self),
                ),
                "type": "info",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _crisis_queue_bulk(self, action):
        """One ``crisis.compensation.bulk.job`` of ``action`` per company of these."""
        Job = self.env["crisis.compensation.bulk.job"]
        jobs = Job.browse()
        for company, compensations in self.grouped("company_id").items():
            jobs |= Job._crisis_queue(compensations, action=action, company_id=company.id)
        return jobs

    def _crisis_due_for(self, action):
        """Those of these compensations that ``action`` still works on."""
        if action == "deliver":
            return self._crisis_ready_to_deliver()
        state = "draft" if action == "submit" else "to_approve"
        return self.filtered(lambda c: c.state == state)

    def _crisis_do(self, action):
        """Do ``action`` on these compensations now, as the current user."""
        if not self:
            return True
        if action == "deliver":
            return self.action_deliver()
        return getattr(self, f"_crisis_{action}")()

    def _crisis_delivery_waiting_text(self):
        """What these compensations, delivered but not yet in the delivered
        state, wait for (a bridge names its document)."""
        return self.env._("%(count)s waiting for their delivery to complete.", count=len(self))

    def _crisis_check_deliverable(self):
        """Raise unless the current user may deliver all of these now."""
        delivered = self.filtered(lambda c: c.state == "delivered")
        if delivered:
            raise UserError(
                self.env._("%(reference)s is already delivered.", reference=delivered[0].reference)
            )
        self._check_state(("approved",), self.env._("%(reference)s is not approved."))
        self.check_access("write")

    def action_deliver_selection(self):
        """The *Deliver* button of the list: the approved compensations of the
        selection, the others skipped and counted.

        They are delivered at once, but those the modules that deliver
        compensations (accounting, loyalty) send to the background
        (``_crisis_deliver_later``).

        :return: a notification (an action dict)
        """
        if not self:
            raise UserError(self.env._("Select the compensations to deliver."))
        ready = self._crisis_ready_to_deliver()
        if not ready:
            raise UserError(
                self.env._(
                    "None of the selected compensations is approved and waiting for delivery."
                )
            )
        ready.check_access("write")
        later = ready._crisis_deliver_later()
        now = ready - later
        if now._crisis_above_threshold():
            # the others of a large selection: in the background too
            now._crisis_check_deliverable()
            now._crisis_queue_bulk("deliver")
            later |= now
            now = now.browse()
        if now:
            now.action_deliver()
        # what really happened: delivered, or waiting for their document (a
        # draft credit note is delivered when it is posted)
        delivered = now.filtered(lambda c: c.state == "delivered")
        if later:
            message = self.env._(
                "%(now)s compensation(s) delivered; %(later)s being delivered in the "
                "background: you will get a message when it is done.",
                now=len(delivered),
                later=len(later),
            )
        else:
            message = self.env._("%(count)s compensation(s) delivered.", count=len(delivered))
        if now - delivered:
            message = f"{message} {(now - delivered)._crisis_delivery_waiting_text()}"
        skipped = len(self) - len(ready)
        if skipped:
            message = self.env._(
                "%(message)s %(skipped)s not approved or already being delivered: skipped.",
                message=message,
                skipped=skipped,
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Deliver Compensations"),
                "message": message,
                "type": "info" if later else "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _crisis_ready_to_deliver(self):
        """The compensations of a selection that *Deliver* delivers: approved ones."""
        return self.filtered(lambda c: c.state == "approved")

    def _crisis_deliver_later(self):
        """Those of these compensations (approved, selected together) that are
        delivered in the background, queued here; none in the core, where
        delivering is a state. The bridge modules queue the large selections
        they make documents for (credit notes, gift cards).

        :return: the compensations queued
        """
        return self.browse()

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

    def _schedule_batch_approval_activities(self):
        """One "Compensations to Approve" activity per crisis and approver for
        requests submitted many at once, on the crisis, saying how many wait
        (an open one is brought up to date, not doubled)."""
        managers = self._crisis_approvers()
        crises = self.crisis_id
        waiting = self._crisis_waiting_by_crisis(crises)
        Activity = self.env["mail.activity"].sudo()
        activity_type = self.env.ref(BATCH_TO_APPROVE)
        open_activities = Activity.search(
            [
                ("res_model", "=", "crisis.crisis"),
                ("res_id", "in", crises.ids),
                ("activity_type_id", "=", activity_type.id),
            ]
        )
        existing = {(a.res_id, a.user_id.id): a for a in open_activities}
        pairs = []
        for crisis, compensations in self.grouped("crisis_id").items():
            for manager in managers:
                if crisis.company_id not in manager.company_ids:
                    continue
                if all(manager in c._requesters() for c in compensations):
                    continue
                if (crisis.id, manager.id) not in existing:
                    pairs.append((crisis, manager))
        self.env["crisis.reminder.mixin"]._crisis_schedule_activities(
            pairs,
            summary_of=lambda crisis: crisis.env._(
                "%(count)s compensations to approve", count=waiting.get(crisis.id, 0)
            ),
            date_of=lambda crisis: fields.Date.context_today(crisis),
            note_of=lambda crisis: crisis.env._(
                "Compensation requests of %(crisis)s wait for your approval: open "
                "Compensations > To Approve, select them and Approve (or Reject).",
                crisis=crisis.reference,
            ),
            activity_type_xmlid=BATCH_TO_APPROVE,
        )
        self._crisis_refresh_batch_activities(open_activities, waiting)

    @api.model
    def _crisis_waiting_by_crisis(self, crises):
        """{crisis id: its compensations waiting for approval}."""
        return {
            crisis.id: count
            for crisis, count in self.sudo()._read_group(
                [("crisis_id", "in", crises.ids), ("state", "=", "to_approve")],
                ["crisis_id"],
                ["__count"],
            )
        }

    @api.model
    def _crisis_refresh_batch_activities(self, activities, waiting):
        """The crisis-level approval ``activities`` say how many requests
        still wait; done (by the current user's) or gone when none does."""
        for activity in activities.sudo():
            count = waiting.get(activity.res_id, 0)
            if count:
                crisis = self.env["crisis.crisis"].browse(activity.res_id)
                in_lang = crisis.with_context(lang=activity.user_id.lang or self.env.lang)
                activity.summary = in_lang.env._("%(count)s compensations to approve", count=count)
            elif activity.user_id == self.env.user:
                activity.action_feedback()
            else:
                activity.unlink()

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

    @api.model
    def _crisis_check_propose(self, impacts, values):
        """Raise unless the current user may propose compensations of
        ``values`` to ``impacts``: the checks of the click, made again by each
        batch of a background proposal (``crisis.compensation.propose.job``)."""
        self._check_currency_active(self.env["res.currency"].browse(values.get("currency_id")))
        self.check_access("create")
        if not impacts:
            return
        self._crisis_check_amount(values.get("amount") or 0)
        if len(impacts.company_id) > 1:
            raise UserError(self.env._("Propose compensations for one company at a time."))
        # the caller's values go through the workflow guard; the workflow
        # values _propose_to adds are ours
        self._crisis_check_values([values], create=True)

    def _propose_to(self, impacts, values, submit=False):
        """The same compensation for many affected customers: new lines, drafts
        or (``submit``) waiting for approval.

        Made by ``create()``, ``PROPOSE_BATCH_SIZE`` per call, so that
        automated actions, audit logs, company checks and record rules see them
        as any other; ``create`` draws their references in one query per
        batch. Submitted ones are created waiting for approval, as
        ``action_submit`` leaves them, with the approvers' activities.
        """
        self._crisis_check_propose(impacts, values)
        if not impacts:
            return self.browse()
        values = dict(values)
        if submit:
            values.update(
                state="to_approve",
                submitted_by_id=self.env.uid,
                date_submitted=fields.Datetime.now(),
            )
        # tracking_disable, the flag Odoo's imports set for large files: none of
        # mail.thread's per-record work on creation (auto-subscriptions, the
        # "created" message: the caller logs one on the crisis); the requester
        # follows them below, in one go, as create() would subscribe them.
        # clean_context: the caller's default_* keys (a wizard's) are not
        # values for the compensations (nor the related fields they would write).
        Compensation = as_workflow(
            self.with_context(clean_context(self.env.context), tracking_disable=True)
        )
        compensation_ids = []
        for batch in split_every(PROPOSE_BATCH_SIZE, impacts.ids):
            compensation_ids += Compensation.create(
                [dict(values, impact_id=impact_id) for impact_id in batch]
            ).ids
        compensations = self.browse(compensation_ids)
        if self.env.user.active:
            self.env["mail.followers"]._insert_followers(
                self._name,
                compensations.ids,
                self.env.user.partner_id.ids,
                customer_ids=[],
                check_existing=False,
            )
        # each chatter logs its creation, as create() does without the flag:
        # one batch of messages, no notification
        compensations._message_log_batch(
            bodies={
                compensation.id: compensation._creation_message() for compensation in compensations
            }
        )
        if submit:
            # the approvers' "Compensation to Approve" activities, as on a submission
            compensations._schedule_approval_activities()
        return compensations
