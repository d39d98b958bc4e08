from . import test_crisis_flow
from . import test_crisis_security
from . import test_crisis_sla
from . import test_impact_wizard
from . import test_install
from . import test_partner
from . import test_stage_access
from . import test_tour
