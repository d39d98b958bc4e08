from . import crisis_config_settings
from . import crisis_impact_wizard
