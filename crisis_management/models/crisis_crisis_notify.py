"""The customer updates of a crisis: Notify Customers, the emails of its
stages and, some days after the resolution, the satisfaction survey."""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL

from .crisis_crisis import single_line
from .crisis_workflow_mixin import as_workflow


class CrisisCrisis(models.Model):
    _inherit = "crisis.crisis"  # pylint: disable=consider-merging-classes-inherited

    resolution_notice_due = fields.Boolean(
        compute="_compute_resolution_notice_due",
        help="Resolved, and its affected customers have not been sent the resolution notice yet.",
    )
    # the customer updates sent
    update_ids = fields.One2many("crisis.update", "crisis_id", string="Customer Updates")
    update_count = fields.Integer(compute="_compute_update_count", string="Updates Sent")

    # satisfaction: a rating request some days after resolution
    date_satisfaction_requested = fields.Datetime(
        string="Satisfaction Survey Sent On", readonly=True, copy=False
    )
    rating_request_count = fields.Integer(
        compute="_compute_rating_response_rate", string="Ratings Requested"
    )
    rating_response_rate = fields.Float(
        compute="_compute_rating_response_rate",
        help="Share of the customers asked for a rating who answered.",
    )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends(
        "stage_id",
        "is_drill",
        "affected_count",
        "statement_state",
        "date_resolved",
        "update_ids.kind",
        "update_ids.state",
    )
    def _compute_resolution_notice_due(self):
        for crisis in self:
            crisis.resolution_notice_due = bool(
                crisis.stage_id.is_resolved
                and not crisis.stage_id.is_closed
                and crisis.affected_count
                and not crisis._crisis_speak_refusal("resolution")
                and not any(
                    update.kind == "resolution"
                    and update.state != "cancelled"
                    and (not crisis.date_resolved or update.date_sent >= crisis.date_resolved)
                    for update in crisis.update_ids
                )
            )

    @api.depends("update_ids")
    def _compute_update_count(self):
        counts = dict(
            self.env["crisis.update"]._read_group(
                [("crisis_id", "in", self.ids)], ["crisis_id"], ["__count"]
            )
        )
        for crisis in self:
            crisis.update_count = counts.get(crisis, 0)

    def _compute_rating_response_rate(self):
        # sudo: counts only, like the parent mixin's rating statistics
        requested = dict(
            self.env["crisis.impact"]
            .sudo()
            ._read_group(
                [("crisis_id", "in", self.ids), ("date_rating_requested", "!=", False)],
                ["crisis_id"],
                ["__count"],
            )
        )
        for crisis in self:
            count = requested.get(crisis, 0)
            crisis.rating_request_count = count
            crisis.rating_response_rate = (
                100.0 * crisis.sudo().rating_count / count if count else 0
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_notify_customers(self):
        self.ensure_one()
        self._check_can_speak_to_customers()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crisis_management.crisis_notify_wizard_action"
        )
        action["context"] = {"default_crisis_id": self.id}
        return action

    def action_send_resolution_notice(self):
        """The notify wizard, set for the resolution notice (offered once resolved)."""
        action = self.action_notify_customers()
        action["context"] = dict(action.get("context") or {}, default_kind="resolution")
        return action

    def action_view_updates(self):
        self.ensure_one()
        return self._crisis_action(
            "crisis_management.crisis_update_action",
            [("crisis_id", "=", self.id)],
            context={"default_crisis_id": self.id},
            name=self.env._("Customer Updates of %s", self.reference),
        )

    def action_view_ratings(self):
        self.ensure_one()
        return self._crisis_action(
            "rating.rating_rating_action",
            [
                ("parent_res_model", "=", self._name),
                ("parent_res_id", "=", self.id),
                ("consumed", "=", True),
            ],
        )

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _crisis_notify(
        self,
        audience,
        template,
        kind="progress",
        body=None,
        audience_kind="all",
        detail=False,
        **values,
    ):
        """Send ``template`` to the affected customers ``audience`` of this crisis.

        ``audience`` is a recordset of ``crisis.impact`` or a domain on them
        (searched with the user's rights): with a domain, nothing is read per
        customer at the click, whatever the audience size. One
        ``crisis.update`` records the send (see ``crisis.update._crisis_queue``).

        :param body: the text of the update (``update_body`` in templates);
            the approved public statement when empty
        :param values: more values of the ``crisis.update`` (feature and bridge
            modules, e.g. ``is_public`` of the status page's)
        """
        self.ensure_one()
        if template.model != "crisis.impact":
            raise UserError(
                self.env._("Template %s is not an email to affected customers.", template.name)
            )
        # the gate; the body, when given, at the queue (crisis.update._crisis_queue)
        self._check_can_speak_to_customers(kind)
        self.check_access("write")
        Impact = self.env["crisis.impact"]
        if isinstance(audience, models.BaseModel):
            audience = audience.filtered(lambda line: line.crisis_id == self)
            first = audience[:1]
        else:
            audience = expression.AND([audience, [("crisis_id", "=", self.id)]])
            first = Impact.search(audience, order="id", limit=1)
        # the subject of the update: the template's, rendered for one of its
        # customers once per language (not per customer), stored translated
        Update = self.env["crisis.update"]
        subjects = Update._crisis_render_subjects(template, first)
        update = Update._crisis_queue(
            self,
            audience,
            template,
            kind,
            body=body,
            name=subjects.get(self.env.lang or "en_US") or single_line(template.name),
            audience=audience_kind,
            audience_detail=detail,
            **values,
        )
        update._crisis_store_translations(subjects)
        self.sudo().date_last_update = fields.Datetime.now()
        return update

    def _notify_stage_customers(self):
        """The stage's email, if it has one, to the affected customers of real
        crises. A drill moves in silence; any other refusal of the gate
        (``_crisis_speak_refusal``) refuses the move, with its reason."""
        for stage, crises in self.grouped("stage_id").items():
            template = stage.mail_template_id
            if not template:
                continue
            kind = "resolution" if stage.is_resolved else "progress"
            crises = crises.filtered(
                lambda c, kind=kind: c.affected_count and c._crisis_speak_refusal(kind) != "drill"
            )
            for crisis in crises:
                crisis._crisis_notify(
                    crisis.impact_ids, template, kind, **crisis._crisis_stage_notice_values(kind)
                )

    def _crisis_stage_notice_values(self, kind):
        """More values of the ``crisis.update`` of a stage notice of ``kind``
        (a hook: the SMS bridge sends them by SMS too, when set so)."""
        self.ensure_one()
        return {}

    # ------------------------------------------------------------------
    # Scheduled jobs
    # ------------------------------------------------------------------

    @api.model
    def _cron_request_satisfaction(self, batch_size=50):
        """Some days after resolution, ask every notified customer for a rating, once.

        Crises are handled ``batch_size`` at a time, each with all its notified
        customers; the delay and template are the company's (Crisis Settings).
        Only crises that may speak to their customers (the gate's SQL,
        ``_crisis_speak_sql``): a drill never asks, a crisis whose statement
        is no longer approved waits until it is.
        """
        due = SQL(
            "active AND %s AND date_satisfaction_requested IS NULL"
            " AND date_resolved IS NOT NULL"
            " AND date_resolved <= %s::timestamp - make_interval(days => ("
            "SELECT crisis_satisfaction_days FROM res_company WHERE id = company_id))",
            self._crisis_speak_sql(SQL.identifier("crisis_crisis", "id"), "satisfaction"),
            fields.Datetime.now(),
        )
        crises = self._crisis_lock_due(due, limit=batch_size)
        Impact = self.env["crisis.impact"]
        impacts = Impact.search(
            [
                ("crisis_id", "in", crises.ids),
                ("date_last_contact", "!=", False),
                ("date_rating_requested", "=", False),
            ]
        )
        for company, company_impacts in impacts.grouped("company_id").items():
            template = company._crisis_satisfaction_template()
            if template:
                company_impacts._crisis_request_rating(template)
        as_workflow(crises).date_satisfaction_requested = fields.Datetime.now()
        self.env["ir.cron"]._notify_progress(
            done=len(crises), remaining=self._crisis_count_due(due)
        )
