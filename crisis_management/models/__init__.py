from . import crisis_stage
