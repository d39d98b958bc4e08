from . import res_company
from . import crisis_crisis_kpi
from . import crisis_review
from . import crisis_crisis_review
