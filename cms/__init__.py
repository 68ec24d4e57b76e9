"""The Wagtail exhibition site: home, zone pages, agency directory, patent list, detail and map."""
