from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

# the selection of the Add Affected Customers wizard of this module, in the
# details it hands to _crisis_link_details
ORDERED = "ordered"
# the fields of a line that only the sales figures of the crisis write
SALE_WORKFLOW_FIELDS = (
    "sale_order_ids",
    "sale_churn_warning",
    "date_sale_churn_warning",
    "sale_usual_interval_days",
    "sale_last_order_date",
)


class CrisisImpact(models.Model):
    _inherit = "crisis.impact"

    sale_order_ids = fields.Many2many(
        "sale.order",
        "crisis_impact_sale_order_rel",
        "impact_id",
        "order_id",
        string="Orders",
        readonly=True,
        copy=False,
        groups="sales_team.group_sale_salesman",
        help="The confirmed orders for which the customer was added to the crisis (Add "
        "Affected Customers, by ordered products).",
    )
    sale_churn_warning = fields.Boolean(
        string="Stopped Ordering",
        readonly=True,
        copy=False,
        index=True,
        help="The customer ordered regularly before the crisis (at least 3 confirmed orders "
        "in the year before it) and has not ordered since for longer than one and a half "
        "times their usual interval. Cleared when they order again.",
    )
    date_sale_churn_warning = fields.Date(
        string="Stopped Ordering Since",
        readonly=True,
        copy=False,
        help="When the customer was first seen to have stopped ordering: the follow-up "
        "activity was given then, once.",
    )
    sale_usual_interval_days = fields.Float(
        string="Usual Order Interval (days)",
        readonly=True,
        copy=False,
        digits=(16, 1),
        help="The median number of days between the customer's confirmed orders in the year "
        "before the crisis.",
    )
    sale_last_order_date = fields.Date(
        string="Last Order",
        readonly=True,
        copy=False,
        help="The date of the customer's last confirmed order (as of the last refresh).",
    )
    sale_days_since_order = fields.Integer(
        string="Days Since Last Order", compute="_compute_sale_days_since_order"
    )

    @api.depends("sale_last_order_date")
    def _compute_sale_days_since_order(self):
        today = fields.Date.context_today(self)
        for impact in self:
            last = impact.sale_last_order_date
            impact.sale_days_since_order = (today - last).days if last else 0

    @api.model
    def _crisis_guarded_fields(self):
        guarded = super()._crisis_guarded_fields()
        guarded.update(dict.fromkeys(SALE_WORKFLOW_FIELDS, True))
        return guarded

    # ------------------------------------------------------------------
    # Customers added by ordered products
    # ------------------------------------------------------------------

    @api.model
    def _crisis_check_order_period(self, details):
        """:raise UserError: the period of ``details`` ends before it starts"""
        if details.get("date_from") and details.get("date_to"):
            if details["date_from"] > details["date_to"]:
                raise UserError(
                    self.env._("The period of the orders ends before it starts: swap the dates.")
                )

    @api.model
    def _crisis_ordered_condition(self, crisis, details):
        """The SQL condition on ``sale_order so`` of the orders ``details``
        selects: confirmed orders of the crisis' company, in the period (days of
        the user who chose it), with a line of one of the products."""
        tz = pytz.timezone(details.get("tz") or "UTC")

        def utc(day, days=0):
            moment = datetime.combine(fields.Date.to_date(day) + timedelta(days=days), time.min)
            return tz.localize(moment).astimezone(pytz.utc).replace(tzinfo=None)

        conditions = [
            SQL("so.state = 'sale'"),
            SQL("so.company_id = %s", crisis.company_id.id),
            SQL(
                "EXISTS (SELECT 1 FROM sale_order_line sol WHERE sol.order_id = so.id"
                " AND sol.product_id = ANY(%s))",
                list(details.get("product_ids") or []),
            ),
        ]
        if details.get("date_from"):
            conditions.append(SQL("so.date_order >= %s", utc(details["date_from"])))
        if details.get("date_to"):
            conditions.append(SQL("so.date_order < %s", utc(details["date_to"], days=1)))
        return SQL(" AND ").join(conditions)

    @api.model
    def _crisis_link_details(self, crisis, partner_ids, details):
        """Customers added for their orders: the orders go on their lines."""
        if details and details.get("mode") == ORDERED and partner_ids:
            self._crisis_link_orders(crisis, partner_ids, details)
        return super()._crisis_link_details(crisis, partner_ids, details)

    @api.model
    def _crisis_link_orders(self, crisis, partner_ids, details):
        """Record on the lines of ``crisis`` of ``partner_ids`` their orders
        that ``details`` selects, in one statement."""
        self.env["crisis.impact"].flush_model(["crisis_id", "partner_id"])
        self.env["sale.order"].flush_model(["partner_id", "state", "company_id", "date_order"])
        self.env["sale.order.line"].flush_model(["order_id", "product_id"])
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crisis_impact_sale_order_rel (impact_id, order_id)
                SELECT impact.id, so.id
                  FROM crisis_impact impact
                  JOIN sale_order so ON so.partner_id = impact.partner_id
                 WHERE impact.crisis_id = %(crisis)s
                   AND impact.partner_id = ANY(%(partners)s)
                   AND %(orders)s
                ON CONFLICT DO NOTHING
                """,
                crisis=crisis.id,
                partners=list(partner_ids),
                orders=self._crisis_ordered_condition(crisis, details),
            )
        )
        self.env["crisis.impact"].invalidate_model(["sale_order_ids"])
