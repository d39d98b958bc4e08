from . import res_company
from . import crisis_impact
from . import crisis_crisis
