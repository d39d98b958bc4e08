from . import test_gift_cards
