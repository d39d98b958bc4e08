from . import (
    crisis_crisis,
    crisis_compensation,
    crisis_impact,
    crisis_impact_receipt,
    res_company,
    stock_move,
    stock_picking,
)
