from . import res_company
from . import crisis_compensation
from . import crisis_compensation_delivery_job
from . import loyalty_history
