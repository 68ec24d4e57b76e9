"""English names of CNIPA's 战略性新兴产业分类与国际专利分类参照关系表（2021）: its 9 categories and 40 industries.

The Chinese names (and the table itself) come from the shared data (``sei2021_industries.csv``, loaded by
``listings.catalogue.services.zone_directory``); these English names are ours, written after the State Council's
usual English for the strategic emerging industries. Keys are the table's own codes.
"""
from __future__ import annotations

#: category code → English name
SEI2021_CATEGORIES_EN: dict[str, str] = {
    "1": "Next-generation information technology",
    "2": "High-end equipment manufacturing",
    "3": "New materials",
    "4": "Biotechnology",
    "5": "New energy vehicles",
    "6": "New energy",
    "7": "Energy saving and environmental protection",
    "8": "Digital creative industries",
    "9": "Related services",
}

#: industry code → English name
SEI2021_INDUSTRIES_EN: dict[str, str] = {
    "1.1": "Next-generation information networks",
    "1.2": "Core electronics",
    "1.3": "Emerging software and new IT services",
    "1.4": "Internet, cloud computing and big data services",
    "1.5": "Artificial intelligence",
    "2.1": "Intelligent manufacturing equipment",
    "2.2": "Aviation equipment",
    "2.3": "Satellites and satellite applications",
    "2.4": "Rail transit equipment",
    "2.5": "Marine engineering equipment",
    "3.1": "Advanced steel materials",
    "3.2": "Advanced non-ferrous metal materials",
    "3.3": "Advanced petrochemical and chemical materials",
    "3.4": "Advanced inorganic non-metallic materials",
    "3.5": "High-performance fibres, their products and composites",
    "3.6": "Frontier new materials",
    "3.7": "New-material services",
    "4.1": "Biomedicine",
    "4.2": "Biomedical engineering",
    "4.3": "Bio-agriculture and related industries",
    "4.4": "Biomass energy",
    "4.5": "Other bio-industries",
    "5.1": "New energy vehicle manufacturing",
    "5.2": "New energy vehicle devices and parts",
    "5.3": "New energy vehicle facilities",
    "5.4": "New energy vehicle services",
    "6.1": "Nuclear power",
    "6.2": "Wind energy",
    "6.3": "Solar energy",
    "6.4": "Biomass and other new energy",
    "6.5": "Smart grid",
    "7.1": "High-efficiency energy saving",
    "7.2": "Advanced environmental protection",
    "7.3": "Resource recycling",
    "8.1": "Digital creative technology equipment",
    "8.2": "Digital cultural and creative activities",
    "8.3": "Design services",
    "8.4": "Digital creative and convergence services",
    "9.1": "New technology, innovation and entrepreneurship services",
    "9.2": "Other related services",
}

#: the group the zones' own industries are shown under
ZONE_CATEGORY_ZH = "国家专利导航产业发展实验区主导产业"
ZONE_CATEGORY_EN = "Leading industries of the patent-navigation experimental zones"
