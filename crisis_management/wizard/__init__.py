from . import crisis_impact_wizard
from . import crisis_compensation_wizard
from . import crisis_config_settings
from . import crisis_notify_wizard
