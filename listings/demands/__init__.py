"""Technology demands (技术需求): posting, review and the public board."""
