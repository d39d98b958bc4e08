from . import crisis_config_settings
