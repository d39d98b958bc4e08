"""The crisis (``crisis.crisis``): what happened, its stage, lead, team, dates
and compensations. Its other sides extend it in files of their own:
``crisis_crisis_impact`` (the affected customers), ``_response`` (playbook,
action plans and steps; ``crisis.action.plan`` applies a playbook),
``_statement`` (one voice, and the gate for speaking to customers), ``_sla``,
``_cadence``, ``_notify`` (customer updates, stage emails, satisfaction
survey), ``_reach``, ``_call``, ``_inbox``, ``_kpi``, ``_review``, ``_status``
and ``_signal``.
"""

import re
from datetime import datetime, timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools import is_html_empty

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

from .crisis_action_plan import DECLARING
from .crisis_type import SEVERITIES
from .res_company import MAX_HOURS

# line breaks (what str.splitlines splits on) and the blanks around them
LINE_BREAKS = re.compile(r"\s*[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+\s*")


def single_line(text):
    """``text`` on one line: each line break, with the blanks around it, becomes a space."""
    return LINE_BREAKS.sub(" ", text) if text else text


# what customers read of a crisis, approved together: changing either, in any
# language, sends the statement back to draft
STATEMENT_FIELDS = ("public_statement", "public_title")
# the longest title (internal or customer-facing): the subject of the customers' emails
TITLE_MAX = 256
# a crisis detected before this is a typo (the year 1900 of a spreadsheet)
EARLIEST_DETECTED = datetime(2000, 1, 1)
# how far ahead of the server's clock a detection date may be (clocks, time zones)
DETECTED_AHEAD = timedelta(days=1)


class CrisisCrisis(models.Model):
    _name = "crisis.crisis"
    _description = "Crisis"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "rating.parent.mixin",
        "crisis.workflow.mixin",
        "crisis.reminder.mixin",
    ]
    _order = "date_declared desc, id desc"
    _rec_names_search = ["name", "reference"]
    _check_company_auto = True
    _crisis_checks_itself = True
    _crisis_workflow_fields = (
        "reference",
        "date_acknowledged",
        "date_escalated",
        "statement_state",
        "statement_approved_by_id",
        "date_statement_approved",
        "statement_editor_ids",
        "edited_message",
        "edited_message_user_id",
        "edited_message_approved_by_id",
        "date_last_update",
        "reminded_update",
        "date_satisfaction_requested",
    )

    # ------------------------------------------------------------------
    # Fields
    # ------------------------------------------------------------------

    def _default_stage_id(self):
        return self.env["crisis.stage"].search([], limit=1)

    reference = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        index="trigram",
        default=lambda self: self.env._("New"),
    )
    name = fields.Char(string="Title", required=True, tracking=True, index="trigram")
    active = fields.Boolean(default=True)
    type_id = fields.Many2one("crisis.type", tracking=True, index=True)
    severity = fields.Selection(
        SEVERITIES,
        required=True,
        default="medium",
        tracking=True,
        compute="_compute_severity",
        store=True,
        readonly=False,
        precompute=True,
    )
    # the calendar's colours by severity: red, orange, yellow, green
    severity_color = fields.Integer(compute="_compute_severity_color")
    stage_id = fields.Many2one(
        "crisis.stage",
        required=True,
        tracking=True,
        index=True,
        copy=False,
        ondelete="restrict",
        default=_default_stage_id,
        group_expand="_read_group_expand_full",
    )
    is_resolved = fields.Boolean(related="stage_id.is_resolved", string="Resolved")
    customer_status = fields.Selection(related="stage_id.customer_status")
    is_closed = fields.Boolean(related="stage_id.is_closed", string="Closed")
    # what the current user may do on the crisis as saved (the form follows them)
    can_edit = fields.Boolean(
        compute="_compute_can_edit",
        help="Whether you may change the crisis: its lead, the members of its response team "
        "and the Crisis Managers may, until it is closed.",
    )
    can_reopen = fields.Boolean(
        compute="_compute_can_edit",
        help="The crisis is closed and you, a Crisis Manager, may move it back to an open stage.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Crisis Lead",
        tracking=True,
        index=True,
        check_company=True,
        domain="[('share', '=', False)]",
        default=lambda self: self.env.user,
    )
    team_id = fields.Many2one(
        "crisis.team", string="Response Team", tracking=True, check_company=True
    )
    team_member_ids = fields.One2many(related="team_id.member_ids", string="Team Members")
    team_leader_id = fields.Many2one(related="team_id.leader_id", string="Team Leader")
    member_user_ids = fields.Many2many(
        "res.users",
        "crisis_crisis_member_user_rel",
        "crisis_id",
        "user_id",
        string="Crisis Members",
        compute="_compute_member_user_ids",
        store=True,
        readonly=True,
        copy=False,
        help="The crisis lead, the team leader and the team members: the people who may "
        "change the crisis, its affected customers, action plans and compensations.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    tag_ids = fields.Many2many("crisis.tag", string="Tags")
    color = fields.Integer()
    is_drill = fields.Boolean(
        string="Drill",
        tracking=True,
        help="A rehearsal: it behaves like a real crisis but is marked as a drill.",
    )

    date_detected = fields.Datetime(
        string="Detected On", help="When the problem was first noticed."
    )
    date_declared = fields.Datetime(
        string="Declared On", required=True, default=fields.Datetime.now, tracking=True, copy=False
    )
    date_acknowledged = fields.Datetime(
        string="Acknowledged On", tracking=True, copy=False, readonly=True
    )
    date_resolved = fields.Datetime(
        string="Resolved On",
        compute="_compute_date_resolved",
        store=True,
        copy=False,
        tracking=True,
    )
    date_closed = fields.Datetime(
        string="Closed On",
        compute="_compute_date_closed",
        store=True,
        copy=False,
        tracking=True,
    )
    # The calendar draws a crisis from its declaration to its resolution, or to
    # now while it is open. Not stored: "now" would go stale in a stored column
    # (a daily recompute would still be up to a day late, and rewrite every open
    # crisis). The calendar only needs a field it can read and search on, and
    # ``_search_date_span_end`` answers its range domain from the stored dates.
    date_span_end = fields.Datetime(
        string="Span End",
        compute="_compute_date_span_end",
        search="_search_date_span_end",
        help="The end of the crisis in the calendar: its resolution, or now while it is open.",
    )

    description = fields.Html(help="What happened, as far as it is known.")
    scope = fields.Html(help="Affected products, services and regions.")
    root_cause = fields.Html(help="Required to close the crisis.")

    # compensation
    compensation_ids = fields.One2many("crisis.compensation", "crisis_id", string="Compensations")
    compensation_count = fields.Integer(
        compute="_compute_compensation", string="Compensations Count"
    )
    compensation_total = fields.Monetary(
        compute="_compute_compensation",
        currency_field="company_currency_id",
        string="Compensation Cost",
        help="Approved and delivered compensations, in company currency.",
    )
    compensation_pending_total = fields.Monetary(
        compute="_compute_compensation",
        currency_field="company_currency_id",
        string="Compensation To Approve",
        help="Compensations waiting for approval, in company currency.",
    )
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )

    _sql_constraints = [
        (
            "reference_company_uniq",
            "unique (reference, company_id)",
            "A crisis with this reference already exists in this company.",
        ),
    ]

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("type_id")
    def _compute_severity(self):
        for crisis in self:
            if crisis.type_id:
                crisis.severity = crisis.type_id.default_severity
            elif not crisis.severity:
                crisis.severity = "medium"

    @api.depends("severity")
    def _compute_severity_color(self):
        # indexes of Odoo's colour palette (o_calendar_color_N)
        colors = {"critical": 1, "high": 2, "medium": 3, "low": 10}
        for crisis in self:
            crisis.severity_color = colors.get(crisis.severity, 0)

    @api.depends("stage_id")
    def _compute_date_resolved(self):
        now = fields.Datetime.now()
        for crisis in self:
            if not crisis.stage_id.is_resolved:
                crisis.date_resolved = False
            elif not crisis.date_resolved:
                crisis.date_resolved = now

    @api.depends("stage_id")
    def _compute_date_closed(self):
        now = fields.Datetime.now()
        for crisis in self:
            if not crisis.stage_id.is_closed:
                crisis.date_closed = False
            elif not crisis.date_closed:
                crisis.date_closed = now

    @api.depends("date_declared", "date_resolved")
    def _compute_date_span_end(self):
        now = fields.Datetime.now()
        for crisis in self:
            if crisis.date_resolved or not crisis.date_declared:
                crisis.date_span_end = crisis.date_resolved
            else:
                # declared ahead of time: a crisis never ends before it starts
                crisis.date_span_end = max(crisis.date_declared, now)

    def _search_date_span_end(self, operator, value):
        """The calendar's range domain (``date_span_end >= start``) on the stored
        dates: the resolution date, else ``max(date_declared, now)``."""
        compare = {
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
        }
        if operator not in compare or not value:
            raise UserError(self.env._("Unsupported search on the span end of crises."))
        value = fields.Datetime.to_datetime(value)
        now_matches = compare[operator](fields.Datetime.now(), value)
        declared = [("date_declared", operator, value)]
        if operator in (">", ">="):
            # max(declared, now) > value: now is enough, else the declaration date
            open_domain = expression.TRUE_DOMAIN if now_matches else declared
        else:
            # max(declared, now) < value: both must be
            open_domain = declared if now_matches else expression.FALSE_DOMAIN
        return expression.OR(
            [
                [("date_resolved", "!=", False), ("date_resolved", operator, value)],
                expression.AND([[("date_resolved", "=", False)], open_domain]),
            ]
        )

    @api.depends("stage_id", "member_user_ids")
    @api.depends_context("uid")
    def _compute_can_edit(self):
        """From the crisis as saved (``_origin``): an unsaved move to another
        stage in the form changes nothing here, so the fields being typed in
        stay editable (and saved) until the move is saved.

        The record rules decide who may write (``member_user_ids`` and the
        Crisis Managers); a closed crisis is read-only, a Crisis Manager may
        reopen it. A new crisis is editable by whoever creates it.
        """
        is_manager = self.env.user.has_group("crisis_management.group_crisis_manager")
        writable = self._origin._filtered_access("write")
        for crisis in self:
            origin = crisis._origin
            if not origin:
                crisis.can_edit, crisis.can_reopen = True, False
                continue
            allowed = origin in writable
            crisis.can_edit = allowed and not origin.is_closed
            crisis.can_reopen = allowed and origin.is_closed and is_manager

    @api.depends("user_id", "team_id.leader_id", "team_id.member_ids.user_id")
    def _compute_member_user_ids(self):
        for crisis in self:
            crisis.member_user_ids = (
                crisis.user_id | crisis.team_id.leader_id | crisis.team_id.member_ids.user_id
            )

    @api.depends("compensation_ids.amount_company", "compensation_ids.state")
    def _compute_compensation(self):
        Compensation = self.env["crisis.compensation"]
        totals = Compensation._crisis_totals("crisis_id", self.ids)
        pending = Compensation._crisis_totals("crisis_id", self.ids, states=("to_approve",))
        counts = dict(
            Compensation._read_group([("crisis_id", "in", self.ids)], ["crisis_id"], ["__count"])
        )
        for crisis in self:
            crisis.compensation_total = totals.get(crisis.id, 0.0)
            crisis.compensation_pending_total = pending.get(crisis.id, 0.0)
            crisis.compensation_count = counts.get(crisis, 0)

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    def _crisis_close_refusal(self):
        """Why this crisis may not be in its (closed) stage, everything missing in
        one message; ``False`` when nothing is.

        Works on the form's unsaved values too (an onchange's new record): the
        open steps are those saved.
        """
        self.ensure_one()
        if not self.stage_id.is_closed:
            return False
        missing = self._crisis_close_missing()
        if not missing:
            return False
        return self.env._(
            "Crisis %(reference)s cannot be closed yet:\n%(missing)s",
            reference=self.reference,
            missing="\n".join(f"- {line}" for line in missing),
        )

    def _crisis_close_missing(self):
        """What this crisis lacks to be closed: a list of sentences."""
        self.ensure_one()
        missing = []
        open_count = self._origin.action_open_count
        if open_count:
            missing.append(
                self.env._(
                    "%(count)s open action step(s): finish or cancel them (a Crisis Manager "
                    "can cancel them all with Cancel Open Steps).",
                    count=open_count,
                )
            )
        if is_html_empty(self.root_cause):
            missing.append(
                self.env._(
                    "No root cause: a crisis is not closed without a root cause. Describe it "
                    "in the Analysis tab."
                )
            )
        return missing

    @api.constrains("stage_id", "root_cause")
    def _check_can_close(self):
        for crisis in self:
            refusal = crisis._crisis_close_refusal()
            if refusal:
                raise ValidationError(refusal)

    @api.onchange("stage_id")
    def _onchange_stage_id_refused(self):
        """A refused move leaves the form on the stage it came from, with the
        message: the status bar saves right after its change, and a refused
        stage would stay behind as an unsaved change (each later button
        repeating the error, leaving the form offering to discard what was
        typed). What was typed is saved with the stage it came from.
        """
        refusal = self._crisis_close_refusal()
        if not refusal:
            return None
        self.stage_id = self._origin.stage_id or self._default_stage_id()
        return {
            "warning": {
                "title": self.env._("The crisis stays in its stage"),
                "message": refusal,
            }
        }

    @api.constrains(
        "date_detected", "date_declared", "date_acknowledged", "date_resolved", "date_closed"
    )
    def _check_dates(self):
        for crisis in self:
            declared = crisis.date_declared
            if crisis.date_detected and crisis.date_detected > declared:
                raise ValidationError(
                    self.env._(
                        "Crisis %(reference)s cannot be detected after it was declared.",
                        reference=crisis.reference,
                    )
                )
            if crisis.date_acknowledged and crisis.date_acknowledged < declared:
                raise ValidationError(
                    self.env._(
                        "Crisis %(reference)s cannot be acknowledged before it was declared.",
                        reference=crisis.reference,
                    )
                )
            if crisis.date_resolved and crisis.date_resolved < declared:
                raise ValidationError(
                    self.env._(
                        "Crisis %(reference)s cannot be resolved before it was declared.",
                        reference=crisis.reference,
                    )
                )
            if crisis.date_closed and crisis.date_closed < declared:
                raise ValidationError(
                    self.env._(
                        "Crisis %(reference)s cannot be closed before it was declared.",
                        reference=crisis.reference,
                    )
                )

    @api.constrains("date_declared")
    def _check_date_declared_not_far_ahead(self):
        latest = fields.Datetime.now() + timedelta(hours=MAX_HOURS)
        for crisis in self:
            if crisis.date_declared and crisis.date_declared > latest:
                raise ValidationError(
                    self.env._(
                        "Crisis %(reference)s cannot be declared more than one year ahead "
                        "(%(date)s).",
                        reference=crisis.reference,
                        date=fields.Datetime.to_string(crisis.date_declared),
                    )
                )

    @api.constrains("name")
    def _check_name_single_line(self):
        for crisis in self:
            if crisis.name and ("\n" in crisis.name or "\r" in crisis.name):
                raise ValidationError(
                    self.env._(
                        "The title of crisis %(reference)s must fit on one line: it is the "
                        "subject of the emails to customers. Remove the line breaks.",
                        reference=crisis.reference,
                    )
                )

    @api.constrains("date_detected")
    def _check_date_detected_bounds(self):
        latest = fields.Datetime.now() + DETECTED_AHEAD
        for crisis in self:
            if not crisis.date_detected:
                continue
            if crisis.date_detected < EARLIEST_DETECTED:
                raise ValidationError(
                    self.env._(
                        "Crisis %(reference)s cannot be detected before the year 2000 "
                        "(%(date)s): check the date.",
                        reference=crisis.reference,
                        date=fields.Datetime.to_string(crisis.date_detected),
                    )
                )
            if crisis.date_detected > latest:
                raise ValidationError(
                    self.env._(
                        "Crisis %(reference)s cannot be detected in the future (%(date)s): "
                        "check the date.",
                        reference=crisis.reference,
                        date=fields.Datetime.to_string(crisis.date_detected),
                    )
                )

    @api.constrains("name", "public_title")
    def _check_title_length(self):
        for crisis in self:
            self._crisis_check_title_length([crisis.name, crisis.public_title], crisis.reference)

    @api.model
    def _crisis_check_title_length(self, titles, reference):
        """:raise ValidationError: one of ``titles`` is longer than ``TITLE_MAX``."""
        if any(title and len(title) > TITLE_MAX for title in titles):
            raise ValidationError(
                self.env._(
                    "The titles of crisis %(reference)s are limited to %(max)s characters: "
                    "they are the subject of the emails to customers. Shorten them.",
                    reference=reference,
                    max=TITLE_MAX,
                )
            )

    @api.model
    def _crisis_check_severity(self, vals_list):
        """:raise ValidationError: a severity of ``vals_list`` (or of the context's
        default) is not one of the four."""
        severities = dict(SEVERITIES)
        values = [vals["severity"] for vals in vals_list if vals.get("severity")]
        if self.env.context.get("default_severity"):
            values.append(self.env.context["default_severity"])
        for severity in values:
            if not isinstance(severity, str) or severity not in severities:
                raise ValidationError(
                    self.env._(
                        "The severity of a crisis is low, medium, high or critical, not "
                        "%(severity)s.",
                        severity=severity,
                    )
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        self = self._crisis_check_values(vals_list, create=True)
        self._crisis_check_severity(vals_list)
        for vals in vals_list:
            if not vals.get("reference") or vals["reference"] == self.env._("New"):
                company = (
                    self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                )
                declared = vals.get("date_declared") or fields.Datetime.now()
                vals["reference"] = company._crisis_sequence().next_by_id(
                    sequence_date=fields.Datetime.to_datetime(declared)
                )
            # whoever declares a crisis with its statement or customer-facing title wrote them
            if "statement_editor_ids" not in vals and any(
                vals.get(name) and not (name == "public_statement" and is_html_empty(vals[name]))
                for name in STATEMENT_FIELDS
            ):
                vals["statement_editor_ids"] = [Command.link(self.env.uid)]
        crises = super().create(vals_list)
        for crisis in crises:
            if crisis.playbook_id and crisis.company_id.crisis_auto_apply_playbook:
                crisis.with_context(crisis_declaring=DECLARING).action_apply_playbook()
        return crises

    def write(self, vals):
        self._crisis_check_values([vals])
        self._crisis_check_severity([vals])
        self._crisis_check_closed()
        if "company_id" in vals and not self._crisis_is_workflow():
            self._check_company_change(vals["company_id"])
        # editing an approved statement or customer-facing title (in the
        # language of the write) sends it back to draft, whoever edits it;
        # the editor is one of its writers
        if vals.keys() & set(STATEMENT_FIELDS):
            self.filtered(lambda c: c._crisis_statement_changed(vals))._crisis_statement_written()
        moved = self.browse()
        if vals.get("stage_id"):
            moved = self.filtered(lambda c: c.stage_id.id != vals["stage_id"])
        result = super().write(vals)
        if "public_title" in vals and not vals["public_title"]:
            # an emptied customer-facing title is the title again
            self.env.add_to_compute(self._fields["public_title"], self)
        if "user_id" in vals:
            self.sudo().impact_ids._crisis_subscribe_owners()  # the new lead follows the lines
        if moved:
            moved._notify_stage_customers()
        return result

    def _crisis_check_closed(self):
        """A closed crisis is kept as it is, whatever the path (the form shows it
        read-only): only a Crisis Manager changes it, to reopen or correct it."""
        if (
            self.env.su
            or self._crisis_is_workflow()
            or self.env.user.has_group("crisis_management.group_crisis_manager")
        ):
            return
        closed = self.filtered("is_closed")
        if closed:
            raise UserError(
                self.env._(
                    "%(references)s is closed: it is kept as it is. Only a Crisis Manager "
                    "can change it, or reopen it by moving it back to an open stage.",
                    references=", ".join(closed.mapped("reference")),
                )
            )

    def unlink(self):
        """The affected-customer lines, action steps and plans go first,
        through the ORM.

        The database cascade would leave their ratings, messages, followers
        and activities behind: it runs none of Odoo's unlink.

        Odoo runs the ``@api.ondelete`` guards in ``super()``, once these
        children are gone: they run here first, while the crisis still has
        what they guard (those of other modules too).
        """
        if not self:
            return True
        # what super() checks first, while the children are still there
        self.check_access("unlink")
        uninstalling = self.env.context.get(MODULE_UNINSTALL_FLAG)
        for guard in self._ondelete_methods:
            if guard._ondelete or not uninstalling:
                guard(self)
        # sudo: the user may delete these crises, and their children go with them
        children = self.sudo().with_context(active_test=False)
        children.action_ids.unlink()
        children.action_plan_ids.unlink()
        children.impact_ids.unlink()
        return super().unlink()

    def _check_company_change(self, company_id):
        """A crisis keeps its company once it has customers, plans or compensations."""
        moving = self.filtered(lambda c: c.company_id.id != company_id)
        if not moving:
            return
        for model in (
            "crisis.impact",
            "crisis.action.plan",
            "crisis.compensation",
            "crisis.update",
        ):
            # sudo: whether children exist, even those the user may not read
            child = self.env[model].sudo().search([("crisis_id", "in", moving.ids)], limit=1)
            if child:
                raise UserError(
                    self.env._(
                        "Crisis %(reference)s already has affected customers, action plans, "
                        "compensations or customer updates in %(company)s: it cannot move to "
                        "another company.",
                        reference=child.crisis_id.reference,
                        company=child.crisis_id.company_id.name,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_with_customers(self):
        if self.env.user.has_group("crisis_management.group_crisis_manager"):
            return
        with_customers = self.filtered("affected_count")
        if with_customers:
            raise UserError(
                self.env._(
                    "Crisis %(reference)s has affected customers: archive it instead of "
                    "deleting it, or ask a Crisis Manager.",
                    reference=with_customers[0].reference,
                )
            )

    @api.ondelete(at_uninstall=True)
    def _unlink_except_with_compensations(self):
        # sudo: whether compensations exist, even those the user may not read
        compensation = (
            self.env["crisis.compensation"].sudo().search([("crisis_id", "in", self.ids)], limit=1)
        )
        if compensation:
            raise UserError(
                self.env._(
                    "Crisis %(reference)s has compensations: archive the crisis instead of "
                    "deleting it, or delete its compensations first.",
                    reference=compensation.crisis_id.reference,
                )
            )

    # ------------------------------------------------------------------
    # Views
    # ------------------------------------------------------------------

    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        """A form that shows ``can_edit`` is read-only for whoever may not
        change the crisis: each of its fields (those of the form itself, not
        of its embedded lists, which follow their field) is also read-only
        when ``can_edit`` is false, fields added by other views included.

        Fields read-only anyway, and those whose ``readonly`` already speaks
        of ``can_edit`` (the status bar: a Crisis Manager reopens a closed
        crisis), are left as they are.
        """
        arch, view = super()._get_view(view_id, view_type, **options)
        if view_type != "form" or not arch.xpath("//field[@name='can_edit']"):
            return arch, view
        for node in arch.xpath("//field[not(ancestor::field)]"):
            readonly = node.get("readonly")
            if readonly is None:
                field = self._fields.get(node.get("name"))
                if field is not None and not field.readonly:
                    node.set("readonly", "not can_edit")
            elif readonly.strip() not in ("1", "True") and "can_edit" not in readonly:
                node.set("readonly", f"({readonly}) or not can_edit")
        return arch, view

    # ------------------------------------------------------------------
    # Chatter: the events people follow
    # ------------------------------------------------------------------

    def _creation_subtype(self):
        return self.env.ref("crisis_management.mt_crisis_declared")

    def _track_subtype(self, initial_values):
        self.ensure_one()
        if (
            "stage_id" in initial_values
            and self.stage_id.is_resolved
            and not initial_values["stage_id"].is_resolved
        ):
            return self.env.ref("crisis_management.mt_crisis_resolved")
        if "statement_state" in initial_values and self.statement_state == "approved":
            return self.env.ref("crisis_management.mt_crisis_statement_approved")
        return super()._track_subtype(initial_values)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_view_compensations(self):
        self.ensure_one()
        return self._crisis_action(
            "crisis_management.crisis_compensation_action",
            [("crisis_id", "=", self.id)],
            name=self.env._("Compensations of %s", self.reference),
        )

    def action_view_compensations_to_approve(self):
        self.ensure_one()
        return self._crisis_action(
            "crisis_management.crisis_compensation_action",
            [("crisis_id", "=", self.id)],
            context={"search_default_to_approve": 1},
            name=self.env._("Compensations of %s", self.reference),
        )

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _crisis_action(self, xmlid, domain, context=None, name=None):
        """The window action ``xmlid`` on ``domain``, with ``context`` (empty
        when not given) and, if given, ``name`` as its title."""
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = domain
        action["context"] = context or {}
        if name:
            action["display_name"] = name
        return action

    @api.model
    def _crisis_duration_text(self, seconds):
        """A duration as people in a hurry read it, rounded down (never more
        time than there is): minutes under an hour, hours under two days, then
        days."""
        minutes = int(seconds // 60)
        if minutes < 60:
            return self.env._("%(count)s min", count=minutes)
        hours = minutes // 60
        if hours < 48:
            return self.env._("%(count)s h", count=hours)
        return self.env._("%(count)s days", count=hours // 24)

    @api.model
    def _crisis_countdown(self, deadline, now, due, late, now_text):
        """``due`` or ``late`` (with a ``%(duration)s`` placeholder) filled with
        the time until or since ``deadline``; ``now_text`` within a minute of it."""
        seconds = (deadline - now).total_seconds()
        if abs(seconds) < 60:
            return now_text
        text = due if seconds > 0 else late
        return text % {"duration": self._crisis_duration_text(abs(seconds))}
