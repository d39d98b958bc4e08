from . import test_ordered_selection
from . import test_retention
from . import test_churn_warning
from . import test_sale_security
