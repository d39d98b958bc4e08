from datetime import timedelta

from odoo import Command, fields
from odoo.tests import new_test_user
from odoo.tools import SQL

from odoo.addons.crisis_management.tests.common import CrisisCase
from odoo.addons.stock.tests.common import TestStockCommon


class CrisisStockCase(CrisisCase, TestStockCommon):
    """Odoo's stock test base with the crisis users of ``CrisisCase``: a
    product tracked by lot, deliveries to customers, returns, dropshipping."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.stock = env["stock.location"].browse(cls.stock_location)
        cls.customers_location = env["stock.location"].browse(cls.customer_location)
        cls.suppliers = env["stock.location"].browse(cls.supplier_location)
        cls.out_type = env["stock.picking.type"].browse(cls.picking_type_out)
        cls.in_type = env["stock.picking.type"].browse(cls.picking_type_in)
        cls.kettle = env["product.product"].create(
            {"name": "Electric Kettle K2", "is_storable": True, "tracking": "lot"}
        )
        cls.lot_bad = env["stock.lot"].create({"name": "L-2611", "product_id": cls.kettle.id})
        cls.lot_good = env["stock.lot"].create({"name": "L-2612", "product_id": cls.kettle.id})
        cls.lot_unsold = env["stock.lot"].create({"name": "L-2699", "product_id": cls.kettle.id})
        # a crisis Inventory user: delivers replacements
        cls.user_warehouse = new_test_user(
            env,
            login="crisis_warehouse",
            name="Wanda Warehouse",
            groups="crisis_management.group_crisis_user,stock.group_stock_user",
        )
        cls.crisis = cls._create_crisis(user=cls.user_crisis, name="Kettle recall")
        # the crisis began an hour ago: what was returned before then is not affected
        cls.began = fields.Datetime.now() - timedelta(hours=1)
        cls.crisis.sudo().date_detected = cls.began

    @classmethod
    def _deliver(
        cls, partner, product, quantity, lot=None, origin="S00042", source=None, when=None
    ):
        """A done delivery of ``quantity`` units to ``partner`` (from the
        stock, or from ``source``: the suppliers for dropshipping)."""
        env = cls.env
        source = source or cls.stock
        if source == cls.stock:
            env["stock.quant"]._update_available_quantity(product, cls.stock, quantity, lot_id=lot)
        picking = env["stock.picking"].create(
            {
                "picking_type_id": cls.out_type.id,
                "partner_id": partner.id,
                "location_id": source.id,
                "location_dest_id": cls.customers_location.id,
                "origin": origin,
                "move_ids": [
                    Command.create(
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": quantity,
                            "product_uom": product.uom_id.id,
                            "location_id": source.id,
                            "location_dest_id": cls.customers_location.id,
                        }
                    )
                ],
            }
        )
        picking.action_confirm()
        move = picking.move_ids
        move.move_line_ids.unlink()
        move.move_line_ids = [
            Command.create(
                {
                    "product_id": product.id,
                    "lot_id": lot.id if lot else False,
                    "quantity": quantity,
                    "location_id": source.id,
                    "location_dest_id": cls.customers_location.id,
                    "picking_id": picking.id,
                }
            )
        ]
        move.picked = True
        picking._action_done()
        if when:
            cls._set_date(picking, when)
        return picking

    @classmethod
    def _return(cls, picking, quantity, when=None):
        """Odoo's return of ``quantity`` units of ``picking``, done."""
        env = cls.env
        wizard = (
            env["stock.return.picking"]
            .with_context(active_id=picking.id, active_model="stock.picking")
            .create({"picking_id": picking.id})
        )
        wizard.product_return_moves.quantity = quantity
        returned = wizard._create_return()
        move = returned.move_ids
        move.move_line_ids.unlink()
        move.move_line_ids = [
            Command.create(
                {
                    "product_id": move.product_id.id,
                    "lot_id": picking.move_line_ids.lot_id.id,
                    "quantity": quantity,
                    "location_id": move.location_id.id,
                    "location_dest_id": move.location_dest_id.id,
                    "picking_id": returned.id,
                }
            )
        ]
        move.picked = True
        returned._action_done()
        if when:
            cls._set_date(returned, when)
        return returned

    @classmethod
    def _set_date(cls, picking, when):
        cls.env.flush_all()
        cls.env.cr.execute(
            SQL("UPDATE stock_move_line SET date = %s WHERE picking_id = %s", when, picking.id)
        )
        cls.env.invalidate_all()

    def _wizard(self, user=None, **values):
        return (
            self.env["crisis.impact.wizard"]
            .with_user(user or self.user_crisis)
            .create({"crisis_id": self.crisis.id, "selection_mode": "received", **values})
        )
