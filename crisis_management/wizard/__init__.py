from . import crisis_impact_wizard
