from odoo import api, fields, models
from odoo.osv import expression


class RatingRating(models.Model):
    _inherit = "rating.rating"

    # not stored: always the company of the affected-customer line, whatever
    # path created the rating, and nothing to compute on install; the record
    # rules of the crisis ratings search on it
    crisis_company_id = fields.Many2one(
        "res.company",
        compute="_compute_crisis_company_id",
        search="_search_crisis_company_id",
        compute_sudo=True,
        help="For the ratings of affected customers: the company of their crisis.",
    )

    @api.depends("res_model", "res_id")
    def _compute_crisis_company_id(self):
        crisis_ratings = self.filtered(lambda rating: rating.res_model == "crisis.impact")
        (self - crisis_ratings).crisis_company_id = False
        impacts = self.env["crisis.impact"].browse(crisis_ratings.mapped("res_id")).exists()
        company_of = {impact.id: impact.company_id for impact in impacts}
        for rating in crisis_ratings:
            rating.crisis_company_id = company_of.get(rating.res_id, False)

    def _search_crisis_company_id(self, operator, value):
        # sudo: record rules search on this field, whatever the user may read
        impacts = self.env["crisis.impact"].sudo()._search([("company_id", operator, value)])
        domain = [("res_model", "=", "crisis.impact"), ("res_id", "in", impacts)]
        # the ratings of other documents have no crisis company: they match
        # where an empty company does
        empty_matches = (
            (operator == "=" and not value)
            or (operator == "!=" and value)
            or (operator == "in" and False in value)
            or (operator == "not in" and False not in value)
        )
        if empty_matches:
            return expression.OR([domain, [("res_model", "!=", "crisis.impact")]])
        return domain
