from . import crisis_impact
from . import crisis_update
from . import crisis_update_recipient
from . import crisis_crisis
from . import res_company
