from . import crisis_config_settings, crisis_impact_wizard
