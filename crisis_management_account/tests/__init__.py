from . import test_credit_notes
from . import test_bulk
