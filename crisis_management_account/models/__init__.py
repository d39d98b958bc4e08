from . import res_company
from . import account_move
from . import crisis_compensation
from . import crisis_credit_note_job
