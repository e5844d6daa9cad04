"""What many tests do the same way: publish a price through the desk, sign a reader in, count a
route's statements, check an API route's common contract."""

from tests.support.desk import Deals, publish, three_deals
from tests.support.readers import sign_in

__all__ = ["Deals", "publish", "sign_in", "three_deals"]
