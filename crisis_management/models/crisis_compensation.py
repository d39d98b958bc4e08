from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

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


class CrisisCompensation(models.Model):
    _name = "crisis.compensation"
    _description = "Crisis Compensation"
    _inherit = ["mail.thread", "mail.activity.mixin", "crisis.workflow.mixin"]
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
    )

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

    @api.constrains("amount")
    def _check_amount(self):
        if any(compensation.amount < 0 for compensation in self):
            raise ValidationError(self.env._("A compensation amount cannot be negative."))

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
        self = self._crisis_check_values(vals_list, create=True)
        missing = [vals for vals in vals_list if not vals.get("reference")]
        impacts = self.env["crisis.impact"].browse(
            {vals["impact_id"] for vals in missing if vals.get("impact_id")}
        )
        by_company = {}
        for vals in missing:
            impact = impacts.browse(vals.get("impact_id"))
            by_company.setdefault(impact.company_id or self.env.company, []).append(vals)
        for company, company_vals in by_company.items():
            references = company._crisis_next_references("crisis.compensation", len(company_vals))
            for vals, reference in zip(company_vals, references, strict=True):
                vals["reference"] = reference
        return super().create(vals_list)

    def write(self, vals):
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
            if "impact_id" in vals:
                target = self.env["crisis.impact"].browse(vals["impact_id"])
                if target:
                    # the user must be allowed to work on the target line
                    target.check_access("write")
                    moved = self._crisis_check_same_company("impact_id", target)
        result = super().write(vals)
        if moved:
            # and the record rules must still let them change it where it went
            moved.check_access("write")
        return result

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

    def _check_approval_rights(self):
        """Nobody approves their own request; users only under the company limit.

        The request is the requester's, its creator's and its submitter's:
        none of them approves or rejects it, whatever *Requested By* says.
        """
        is_manager = self.env.user.has_group("crisis_management.group_crisis_manager")
        for compensation in self:
            if self.env.user in (
                compensation.user_id | compensation.create_uid | compensation.submitted_by_id
            ):
                raise UserError(
                    self.env._(
                        "%(reference)s: nobody approves or rejects their own request.",
                        reference=compensation.reference,
                    )
                )
            if is_manager:
                continue
            limit = compensation.company_id.crisis_compensation_user_limit
            if limit <= 0 or compensation.amount_company > limit:
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
        self._check_state(("draft",), self.env._("%(reference)s is not a draft."))
        self.check_access("write")
        as_workflow(self).write(
            {
                "state": "to_approve",
                "submitted_by_id": self.env.uid,
                "date_submitted": fields.Datetime.now(),
            }
        )
        return True

    def action_approve(self):
        self._check_state(
            ("to_approve",), self.env._("%(reference)s is not waiting for approval.")
        )
        self._check_approval_rights()
        # the company amount is final from now on: computed before the approval
        self.flush_recordset(["amount_company"])
        # the approval rights were checked above: an approver need not be on the crisis
        as_workflow(self.sudo()).write(
            {
                "state": "approved",
                "approved_by_id": self.env.uid,
                "date_approved": fields.Datetime.now(),
            }
        )
        return True

    def action_reject(self):
        self._check_state(
            ("to_approve",), self.env._("%(reference)s is not waiting for approval.")
        )
        self._check_approval_rights()
        as_workflow(self.sudo()).write({"state": "rejected"})
        return True

    def action_deliver(self):
        delivered = self.filtered(lambda c: c.state == "delivered")
        if delivered:
            raise UserError(
                self.env._("%(reference)s is already delivered.", reference=delivered[0].reference)
            )
        self._check_state(("approved",), self.env._("%(reference)s is not approved."))
        self.check_access("write")
        as_workflow(self).write({"state": "delivered", "date_delivered": fields.Datetime.now()})
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

    @api.model
    def _crisis_totals(self, field_name, ids):
        """{id: committed amount in company currency} grouped by ``field_name``."""
        groups = self._read_group(
            [(field_name, "in", ids), ("state", "in", COMMITTED_STATES)],
            [field_name],
            ["amount_company:sum"],
        )
        return {record.id: total for record, total in groups}

    def _propose_to(self, impacts, values, submit=False):
        """The same compensation for many affected customers: new lines, drafts
        or (``submit``) waiting for approval.

        One INSERT ... SELECT and one sequence query whatever the number of
        lines (the ORM would insert 100 rows per query and draw each reference
        on its own); record rules are checked on the new lines, as ``create``
        would.
        """
        self._check_currency_active(self.env["res.currency"].browse(values.get("currency_id")))
        self.check_access("create")
        if not impacts:
            return self.browse()
        if values.get("amount", 0) < 0:
            raise ValidationError(self.env._("A compensation amount cannot be negative."))
        self.env.flush_all()
        companies = impacts.company_id
        if len(companies) > 1:
            raise UserError(self.env._("Propose compensations for one company at a time."))
        currency = self.env["res.currency"].browse(values["currency_id"])
        today = fields.Date.context_today(self)
        amount_company = currency._convert(
            values["amount"], companies.currency_id, companies, today
        )
        references = companies._crisis_next_references("crisis.compensation", len(impacts))
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crisis_compensation (
                    reference, impact_id, crisis_id, partner_id, company_id, type, amount,
                    currency_id, amount_company, description, state, user_id, date_requested,
                    submitted_by_id, date_submitted, create_uid, create_date, write_uid, write_date
                )
                SELECT ref.reference, impact.id, impact.crisis_id, impact.partner_id,
                       impact.company_id, %(type)s, %(amount)s, %(currency)s,
                       %(amount_company)s, %(description)s, %(state)s, %(uid)s, %(today)s,
                       %(submitted_by)s, %(date_submitted)s,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(impacts)s::int[], %(references)s::varchar[])
                       AS ref(impact_id, reference)
                  JOIN crisis_impact impact ON impact.id = ref.impact_id
                RETURNING id
                """,
                type=values["type"],
                amount=values["amount"],
                currency=currency.id,
                amount_company=amount_company,
                description=values.get("description") or None,
                state="to_approve" if submit else "draft",
                submitted_by=self.env.uid if submit else None,
                date_submitted=self.env.cr.now() if submit else None,
                uid=self.env.uid,
                today=today,
                now=self.env.cr.now(),
                impacts=impacts.ids,
                references=references,
            )
        )
        compensations = self.browse(row[0] for row in self.env.cr.fetchall())
        impacts.invalidate_recordset(["compensation_ids"])
        impacts.crisis_id.invalidate_recordset(["compensation_ids"])
        compensations.modified(
            ["impact_id", "state", "amount_company", "submitted_by_id"], create=True
        )
        compensations.check_access("create")
        return compensations
