"""The parties' tests use the listings fixtures (organisations, members, operators)."""
from tests.listings.conftest import *  # noqa: F401,F403
