from . import test_kpis
from . import test_review
from . import test_review_four_eyes
