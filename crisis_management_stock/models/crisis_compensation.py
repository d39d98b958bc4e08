from collections import defaultdict

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_is_zero, float_round

from odoo.addons.crisis_management.models.crisis_workflow_mixin import as_workflow

STOCK_RIGHTS = "stock.group_stock_user"
# while what is shipped may change
REPLACEMENT_STATES = ("draft", "to_approve", "approved")
REPLACEMENT_FIELDS = ("replacement_product_id", "replacement_quantity", "replacement_return")


class CrisisCompensation(models.Model):
    """Replacements are shipped from the warehouse.

    ``action_deliver`` of a replacement (not of a drill) makes, as the user
    who clicks and with their inventory rights, the delivery of the
    replacement product to the customer from the company's warehouse, and
    (``replacement_return``) Odoo's return of the affected units the customer
    received. Both are linked to the compensation. The compensation is
    delivered when its delivery is done (``stock.picking._crisis_sync_compensations``);
    a cancelled delivery leaves it approved, to deliver again.
    """

    _inherit = "crisis.compensation"

    replacement_product_id = fields.Many2one(
        "product.product",
        compute="_compute_replacement_product_id",
        store=True,
        readonly=False,
        precompute=True,
        copy=False,
        check_company=True,
        domain="[('type', '=', 'consu')]",
        help="The product shipped to the customer. By default the product they received, "
        "when they received one.",
    )
    replacement_quantity = fields.Float(
        string="Quantity to Ship",
        digits="Product Unit of Measure",
        compute="_compute_replacement_quantity",
        store=True,
        readonly=False,
        precompute=True,
        copy=False,
        help="By default what the customer received of the replacement product, else 1.",
    )
    replacement_return = fields.Boolean(
        string="Return the Affected Units",
        compute="_compute_replacement_return",
        store=True,
        readonly=False,
        precompute=True,
        copy=False,
        help="Also make the return of the units the customer received (a receipt in the "
        "warehouse, one per delivery), when there are some.",
    )
    picking_ids = fields.One2many(
        "stock.picking",
        "crisis_compensation_id",
        string="Transfers",
        readonly=True,
        groups=STOCK_RIGHTS,
        help="The delivery of the replacement and the returns of the affected units.",
    )
    picking_count = fields.Integer(compute="_compute_picking_count")
    has_replacement_delivery = fields.Boolean(
        compute="_compute_picking_count",
        help="The replacement has a delivery that is not cancelled.",
    )
    is_replacement_type = fields.Boolean(compute="_compute_is_replacement_type")

    @api.depends("type", "impact_id")
    def _compute_replacement_product_id(self):
        for compensation in self:
            if compensation.type != "replacement" or compensation.replacement_product_id:
                continue
            products = compensation.impact_id.sudo().receipt_ids.product_id
            if len(products) == 1:
                compensation.replacement_product_id = products

    @api.depends("type", "replacement_product_id")
    def _compute_replacement_quantity(self):
        for compensation in self:
            if compensation.type != "replacement":
                compensation.replacement_quantity = 0.0
                continue
            product = compensation.replacement_product_id
            receipts = compensation.impact_id.sudo().receipt_ids.filtered(
                lambda r, product=product: r.product_id == product
            )
            compensation.replacement_quantity = sum(receipts.mapped("quantity")) or 1.0

    @api.depends("type", "impact_id")
    def _compute_replacement_return(self):
        for compensation in self:
            compensation.replacement_return = bool(
                compensation.type == "replacement"
                and compensation.company_id.crisis_replacement_return
                and compensation.impact_id.sudo().receipt_ids
            )

    @api.depends("picking_ids.state", "picking_ids.picking_type_id")
    def _compute_picking_count(self):
        # sudo: whether there is one, for the buttons of users without inventory rights
        for compensation in self:
            pickings = compensation.sudo().picking_ids
            compensation.picking_count = len(pickings)
            compensation.has_replacement_delivery = bool(
                compensation.sudo()._crisis_replacement_deliveries()
            )

    @api.depends("type", "is_drill")
    def _compute_is_replacement_type(self):
        for compensation in self:
            compensation.is_replacement_type = compensation._crisis_by_replacement()

    @api.depends("state", "picking_ids.state")
    def _compute_delivery_details(self):
        result = super()._compute_delivery_details()
        for compensation in self.filtered(lambda c: c.state == "delivered"):
            # sudo: the customer's own delivery, for the team and the customer's
            # page (no inventory rights needed)
            done = compensation.sudo().picking_ids.filtered(
                lambda p: p.picking_type_code == "outgoing" and p.state == "done"
            )[:1]
            if done:
                product = compensation.sudo().replacement_product_id
                # formatted first: the term extractor evaluates the call's arguments
                quantity = f"{compensation.replacement_quantity:g}"
                compensation.delivery_details = self.env._(
                    "Replacement shipped: %(quantity)s × %(product)s, delivery %(delivery)s",
                    quantity=quantity,
                    product=product.with_context(lang=self.env.lang).display_name,
                    delivery=done.name,
                )
        return result

    @api.model
    def _crisis_guarded_fields(self):
        guarded = super()._crisis_guarded_fields()
        guarded["picking_ids"] = True
        return guarded

    def write(self, vals):
        if not self._crisis_is_workflow() and set(REPLACEMENT_FIELDS) & vals.keys():
            locked = self.filtered(
                lambda c: c.state not in REPLACEMENT_STATES or c.has_replacement_delivery
            )
            if locked:
                raise UserError(
                    self.env._(
                        "%(reference)s: what is shipped can change only until the replacement "
                        "has a delivery or is delivered.",
                        reference=locked[0].reference,
                    )
                )
        return super().write(vals)

    # ------------------------------------------------------------------
    # Workflow
    # ------------------------------------------------------------------

    def action_deliver(self):
        """Replacements get their delivery (and return); the others the usual delivery."""
        by_stock = self.filtered(lambda c: c._crisis_by_replacement())
        if not by_stock:
            return super().action_deliver()
        by_stock._crisis_check_deliverable()
        others = self - by_stock
        if others:
            super(CrisisCompensation, others).action_deliver()
        by_stock._crisis_make_replacements()
        return True

    def action_cancel(self):
        shipping = self.filtered("has_replacement_delivery")
        if shipping:
            raise UserError(
                self.env._(
                    "%(reference)s has the delivery %(picking)s: cancel the delivery first.",
                    reference=shipping[0].reference,
                    picking=shipping[0].sudo()._crisis_replacement_deliveries()[:1].name,
                )
            )
        return super().action_cancel()

    def action_view_pickings(self):
        self.ensure_one()
        pickings = self.picking_ids
        action = {
            "type": "ir.actions.act_window",
            "name": self.env._("Transfers"),
            "res_model": "stock.picking",
            "context": {"create": False},
        }
        if len(pickings) == 1:
            action.update(view_mode="form", views=[(False, "form")], res_id=pickings.id)
        else:
            action.update(
                view_mode="list,form",
                views=[(False, "list"), (False, "form")],
                domain=[("id", "in", pickings.ids)],
            )
        return action

    def _crisis_delivery_waiting_text(self):
        shipping = self.filtered("has_replacement_delivery")
        if shipping != self:
            return super()._crisis_delivery_waiting_text()
        return self.env._(
            "%(count)s replacement delivery(ies) made: the compensations are delivered when "
            "the deliveries are done.",
            count=len(shipping),
        )

    def _crisis_ready_to_deliver(self):
        """Those with a delivery under way wait for the warehouse, not for *Deliver*."""
        return (
            super()._crisis_ready_to_deliver().filtered(lambda c: not c.has_replacement_delivery)
        )

    def _crisis_portal_check_answerable(self):
        """Once its delivery is made, the customer no longer answers on their
        page: the warehouse is at work."""
        result = super()._crisis_portal_check_answerable()
        if self.has_replacement_delivery:
            raise UserError(
                self.env._(
                    "%(reference)s is being shipped: it can no longer be accepted or declined "
                    "here. Contact us to change it.",
                    reference=self.reference,
                )
            )
        return result

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _crisis_by_replacement(self):
        """Whether delivering this compensation ships a replacement: the
        replacement type, never for a drill."""
        self.ensure_one()
        return self.type == "replacement" and not self.is_drill

    def _crisis_replacement_deliveries(self):
        """The deliveries of the replacement that are not cancelled."""
        self.ensure_one()
        return self.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state != "cancel"
        )

    def _crisis_check_deliverable(self):
        """The core's checks, plus for replacements: inventory rights, a
        product and a quantity, a warehouse, and never two live deliveries."""
        super()._crisis_check_deliverable()
        replacements = self.filtered(lambda c: c._crisis_by_replacement())
        if not replacements:
            return
        if not self.env.su and not self.env.user.has_group(STOCK_RIGHTS):
            raise AccessError(
                self.env._(
                    "%(reference)s is a replacement: delivering it makes a delivery from the "
                    "warehouse, which only users with inventory rights can do. Ask your "
                    "warehouse team to deliver it.",
                    reference=replacements[0].reference,
                )
            )
        for compensation in replacements:
            if not compensation.replacement_product_id:
                raise UserError(
                    self.env._(
                        "%(reference)s: choose the replacement product to ship.",
                        reference=compensation.reference,
                    )
                )
            if compensation.replacement_quantity <= 0:
                raise UserError(
                    self.env._(
                        "%(reference)s: the quantity to ship must be positive.",
                        reference=compensation.reference,
                    )
                )
            if compensation.sudo()._crisis_replacement_deliveries():
                raise UserError(
                    self.env._(
                        "%(reference)s already has the delivery %(picking)s: validate it to "
                        "deliver the compensation (or cancel it to make a new one).",
                        reference=compensation.reference,
                        picking=compensation.sudo()._crisis_replacement_deliveries()[:1].name,
                    )
                )
            compensation._crisis_replacement_warehouse()

    def _crisis_replacement_warehouse(self):
        self.ensure_one()
        company = self.company_id
        warehouse = company.crisis_replacement_warehouse_id or self.env[
            "stock.warehouse"
        ].sudo().search([("company_id", "=", company.id)], limit=1)
        if not warehouse or not warehouse.out_type_id:
            raise UserError(
                self.env._(
                    "%(company)s has no warehouse to ship the replacements from: set up "
                    "Inventory (or choose the warehouse in the Crisis Settings).",
                    company=company.name,
                )
            )
        return warehouse

    def _crisis_make_replacements(self):
        """Make (and confirm and reserve) the delivery of each of these
        approved replacements, and the returns of the affected units, as the
        user who clicks.

        :return: the transfers made
        """
        pickings = self.env["stock.picking"]
        for compensation in self:
            company = compensation.company_id
            env = compensation.with_company(company).env
            warehouse = compensation._crisis_replacement_warehouse()
            delivery = compensation.with_env(env)._crisis_make_replacement_delivery(warehouse)
            returns = env["stock.picking"]
            if compensation.replacement_return:
                returns = compensation.with_env(env)._crisis_make_returns()
            pickings |= delivery | returns
            body = self.env._(
                "Replacement delivery made: %(delivery)s. The compensation is delivered when "
                "it is done.",
                delivery=delivery._get_html_link(),
            )
            if returns:
                body = Markup("%s<br/>%s") % (
                    body,
                    self.env._(
                        "Return of the affected units: %(returns)s.",
                        returns=Markup(", ").join(p._get_html_link() for p in returns),
                    ),
                )
            compensation._message_log(body=body)
        return pickings

    def _crisis_make_replacement_delivery(self, warehouse):
        self.ensure_one()
        picking_type = warehouse.out_type_id
        partner = self.partner_id
        product = self.replacement_product_id
        source = picking_type.default_location_src_id or warehouse.lot_stock_id
        destination = partner.property_stock_customer or self.env.ref(
            "stock.stock_location_customers"
        )
        delivery = as_workflow(self.env["stock.picking"]).create(
            {
                "picking_type_id": picking_type.id,
                "partner_id": partner.id,
                "company_id": self.company_id.id,
                "location_id": source.id,
                "location_dest_id": destination.id,
                "origin": self.reference,
                "crisis_compensation_id": self.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": product.display_name,
                            "product_id": product.id,
                            "product_uom_qty": self.replacement_quantity,
                            "product_uom": product.uom_id.id,
                            "location_id": source.id,
                            "location_dest_id": destination.id,
                            "company_id": self.company_id.id,
                            "partner_id": partner.id,
                        }
                    )
                ],
            }
        )
        delivery = delivery.with_env(self.env)
        delivery.action_confirm()
        delivery.action_assign()
        return delivery

    def _crisis_make_returns(self):
        """Odoo's return of each done delivery of the affected units the
        customer received, for what they received."""
        self.ensure_one()
        receipts = self.impact_id.sudo().receipt_ids
        to_return = defaultdict(float)
        for receipt in receipts:
            to_return[receipt.move_id.id] += receipt.quantity
        returns = self.env["stock.picking"]
        for picking in receipts.move_id.picking_id.with_env(self.env):
            if picking.state != "done":
                continue
            wizard = (
                self.env["stock.return.picking"]
                .with_context(active_id=picking.id, active_model="stock.picking")
                .create({"picking_id": picking.id})
            )
            for line in wizard.product_return_moves:
                quantity = to_return.get(line.move_id.id, 0.0)
                rounding = line.uom_id.rounding or 0.01
                line.quantity = float_round(quantity, precision_rounding=rounding)
            if all(
                float_is_zero(line.quantity, precision_rounding=line.uom_id.rounding or 0.01)
                for line in wizard.product_return_moves
            ):
                continue
            returned = wizard._create_return()
            as_workflow(returned).write({"crisis_compensation_id": self.id})
            returns |= returned
        return returns
