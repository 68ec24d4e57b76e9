"""Trading: listings of patents and portfolios, their lifecycle, licence rules, files and open licences."""
