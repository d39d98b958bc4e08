from datetime import datetime, time, timedelta

from odoo import api, fields, models
from odoo.tools import SQL, create_unique_index

# the net quantities below this are nothing left with the customer
QUANTITY_EPSILON = 1e-6


class CrisisImpactReceipt(models.Model):
    """What one affected customer received that the crisis is about: a
    product (and its lot or serial number) of one delivery, with the quantity
    the customer still had when the crisis began.

    Recorded when the customer is added from what they received
    (``crisis.impact._crisis_link_details``), from Odoo's done stock moves:
    deliveries to customer locations (dropshipping included), less what the
    customer returned before the crisis. Never typed by hand.
    """

    _name = "crisis.impact.receipt"
    _description = "Goods Received by an Affected Customer"
    _order = "date_done desc, id desc"
    _rec_name = "product_id"

    impact_id = fields.Many2one(
        "crisis.impact", string="Affected Customer", required=True, ondelete="cascade", index=True
    )
    crisis_id = fields.Many2one("crisis.crisis", required=True, ondelete="cascade", index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True)
    company_id = fields.Many2one("res.company", required=True, index=True)
    move_id = fields.Many2one("stock.move", string="Stock Move", required=True, index=True)
    picking_id = fields.Many2one("stock.picking", string="Delivery")
    product_id = fields.Many2one("product.product", required=True)
    lot_id = fields.Many2one("stock.lot", string="Lot/Serial Number")
    quantity = fields.Float(
        digits="Product Unit of Measure",
        help="Delivered, less what the customer returned before the crisis began.",
    )
    uom_id = fields.Many2one("uom.uom", string="Unit")
    date_done = fields.Datetime(string="Delivered On")
    origin = fields.Char(
        string="Order", help="The source document of the delivery (the sales order)."
    )

    def init(self):
        # one receipt per delivery move and lot of a line: adding the same
        # customers again records nothing twice
        create_unique_index(
            self.env.cr,
            "crisis_impact_receipt_unique_move_lot",
            self._table,
            ["impact_id", "move_id", "COALESCE(lot_id, 0)"],
        )

    @api.depends("product_id", "lot_id", "quantity")
    def _compute_display_name(self):
        for receipt in self:
            name = receipt.product_id.display_name or ""
            if receipt.lot_id:
                name = f"{name} ({receipt.lot_id.name})"
            receipt.display_name = name

    # ------------------------------------------------------------------
    # Finding who received what
    # ------------------------------------------------------------------

    @api.model
    def _crisis_received_sql(self, crisis, details, partner_ids=None):
        """SQL of the deliveries to customers ``details`` selects, net of the
        returns made before ``crisis`` began: rows (partner_id, move_id,
        move_line_id, picking_id, product_id, lot_id, quantity, uom_id,
        date_done, origin), the lines with nothing left excluded.

        :param details: ``{"product_ids": [...], "lot_ids": [...],
            "date_from": "YYYY-MM-DD" or None, "date_to": ...}``; products,
            lots or both (a lot of the products, when both)
        :param partner_ids: only the deliveries to these contacts
        """
        product_ids = [int(i) for i in details.get("product_ids") or ()]
        lot_ids = [int(i) for i in details.get("lot_ids") or ()]
        goods = [SQL("TRUE")]
        if product_ids:
            goods.append(SQL("ml.product_id = ANY(%s)", product_ids))
        if lot_ids:
            goods.append(SQL("ml.lot_id = ANY(%s)", lot_ids))
        goods = SQL(" AND ").join(goods)
        period = [SQL("TRUE")]
        if details.get("date_from"):
            start = datetime.combine(fields.Date.to_date(details["date_from"]), time.min)
            period.append(SQL("ml.date >= %s", start))
        if details.get("date_to"):
            end = datetime.combine(fields.Date.to_date(details["date_to"]), time.min)
            period.append(SQL("ml.date < %s", end + timedelta(days=1)))
        period = SQL(" AND ").join(period)
        recipients = (
            SQL("COALESCE(m.partner_id, p.partner_id) = ANY(%s)", list(partner_ids))
            if partner_ids is not None
            else SQL("TRUE")
        )
        return SQL(
            """
            WITH delivered AS (
                SELECT ml.move_id, ml.lot_id, MIN(ml.id) AS move_line_id,
                       SUM(ml.quantity_product_uom) AS quantity, MAX(ml.date) AS date_done
                  FROM stock_move_line ml
                  JOIN stock_location src ON src.id = ml.location_id
                  JOIN stock_location dest ON dest.id = ml.location_dest_id
                 WHERE ml.state = 'done' AND ml.company_id = %(company)s
                   AND dest.usage = 'customer' AND src.usage != 'customer'
                   AND %(goods)s AND %(period)s
              GROUP BY ml.move_id, ml.lot_id
            ), returned AS (
                SELECT rm.origin_returned_move_id AS move_id, ml.lot_id,
                       SUM(ml.quantity_product_uom) AS quantity
                  FROM stock_move_line ml
                  JOIN stock_move rm ON rm.id = ml.move_id
                  JOIN stock_location src ON src.id = ml.location_id
                 WHERE ml.state = 'done' AND ml.company_id = %(company)s
                   AND src.usage = 'customer' AND rm.origin_returned_move_id IS NOT NULL
                   AND ml.date < %(start)s AND %(goods)s
              GROUP BY rm.origin_returned_move_id, ml.lot_id
            )
            SELECT COALESCE(m.partner_id, p.partner_id) AS partner_id, d.move_id,
                   d.move_line_id, m.picking_id, m.product_id, d.lot_id,
                   d.quantity - COALESCE(r.quantity, 0) AS quantity, pt.uom_id,
                   d.date_done, COALESCE(p.origin, m.origin) AS origin
              FROM delivered d
              JOIN stock_move m ON m.id = d.move_id
              JOIN product_product pp ON pp.id = m.product_id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
         LEFT JOIN stock_picking p ON p.id = m.picking_id
         LEFT JOIN returned r ON r.move_id = d.move_id
                              AND r.lot_id IS NOT DISTINCT FROM d.lot_id
             WHERE d.quantity - COALESCE(r.quantity, 0) > %(epsilon)s
               AND COALESCE(m.partner_id, p.partner_id) IS NOT NULL
               AND %(recipients)s
            """,
            company=crisis.company_id.id,
            goods=goods,
            period=period,
            start=crisis._crisis_start(),
            epsilon=QUANTITY_EPSILON,
            recipients=recipients,
        )

    @api.model
    def _crisis_received_partner_ids(self, crisis, details):
        """The contacts who still had some of the goods of ``details`` when
        ``crisis`` began (one query)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT partner_id FROM (%s) received",
                self._crisis_received_sql(crisis, details),
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _crisis_record(self, crisis, partner_ids, details):
        """Record on the lines of ``crisis`` of ``partner_ids`` what each
        received (one query, whatever their number); what is recorded
        already is kept.

        The rows are derived from done stock moves and never edited: one
        ``INSERT ... SELECT`` makes them, as Odoo's own reports read stock.
        """
        if not partner_ids:
            return 0
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crisis_impact_receipt (
                    impact_id, crisis_id, partner_id, company_id, move_id, picking_id,
                    product_id, lot_id, quantity, uom_id, date_done, origin,
                    create_uid, create_date, write_uid, write_date)
                SELECT i.id, i.crisis_id, received.partner_id, i.company_id, received.move_id,
                       received.picking_id, received.product_id, received.lot_id,
                       received.quantity, received.uom_id, received.date_done, received.origin,
                       %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
                  FROM (%(received)s) received
                  JOIN crisis_impact i ON i.crisis_id = %(crisis)s
                                      AND i.partner_id = received.partner_id
                    ON CONFLICT (impact_id, move_id, COALESCE(lot_id, 0)) DO NOTHING
                """,
                uid=self.env.uid,
                received=self._crisis_received_sql(crisis, details, partner_ids),
                crisis=crisis.id,
            )
        )
        count = self.env.cr.rowcount
        self.invalidate_model()
        self.env["crisis.impact"].invalidate_model(["receipt_ids"])
        return count
