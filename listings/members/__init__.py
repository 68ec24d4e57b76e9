"""The member's home (/me/): the next step for a new member, where each of their things stands, what waits on them."""
