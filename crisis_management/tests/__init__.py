from . import test_install
from . import test_stage_access
from . import test_tour
