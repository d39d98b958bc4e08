from . import crisis_impact_wizard
from . import crisis_compensation_wizard
from . import crisis_config_settings
