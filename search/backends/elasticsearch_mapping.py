"""The Elasticsearch engine's mapping: the analysers (smartcn, the query-side stop words, the curated synonym
table) and the indexed document, ``PatentIndexDoc`` (see ``search.backends.elasticsearch`` and
docs/search.md)."""
from __future__ import annotations

from elasticsearch.dsl import Boolean, Completion, Date, Document, Integer, Keyword, Long, Text, analyzer, token_filter

from search import analysis
from search.facets import IPC_FACET_BY_LEVEL
from search.facets import ipc_levels as _ipc_levels
from search.interface import PatentDocument
from search.synonyms import default_table
from search.understanding import QUERY_EN_STOPWORDS, QUERY_STOPWORDS, document_number_keys

patent_stop = token_filter("patent_stop", "stop", stopwords=sorted(analysis.CJK_STOPWORDS | analysis.EN_STOPWORDS))
#: query side only: patent boilerplate and request language (需要, 我们, 希望, 提高…)
query_stop = token_filter(
    "query_stop",
    "stop",
    stopwords=sorted(QUERY_STOPWORDS | QUERY_EN_STOPWORDS | analysis.EN_STOPWORDS),
)
#: the curated table (search/synonyms/zh_en_v2.txt), expanded at search time only (synonym_graph)
zh_synonyms = token_filter("zh_synonyms", "synonym_graph", synonyms=list(default_table().rules), lenient=True)
#: index analyser: every token is kept
zh_index = analyzer("zh_index", tokenizer="smartcn_tokenizer", filter=["lowercase", "porter_stem"])
#: search analyser: boilerplate and request words removed, synonyms expanded
zh_search = analyzer(
    "zh_search", tokenizer="smartcn_tokenizer", filter=["lowercase", query_stop, zh_synonyms, "porter_stem"]
)


class PatentIndexDoc(Document):
    """One patent in Elasticsearch. Facet fields are keywords; text fields use smartcn."""

    patent_id = Long()
    publication_number = Keyword()
    numbers = Keyword()  # publication digits and application number without its check digit
    title = Text(analyzer=zh_index, search_analyzer=zh_search, fields={"raw": Keyword(ignore_above=512)})
    abstract = Text(analyzer=zh_index, search_analyzer=zh_search)
    claims = Text(analyzer=zh_index, search_analyzer=zh_search)
    applicants = Keyword()
    applicants_text = Text(analyzer=zh_index, search_analyzer=zh_search)
    inventors = Keyword()
    ipc_codes = Keyword()
    ipc_section = Keyword()
    ipc_class = Keyword()
    ipc_subclass = Keyword()
    ipc_main_group = Keyword()
    ipc_subgroup = Keyword()
    zone = Keyword()
    industry = Keyword()
    legal_status = Keyword()
    kind = Keyword()
    application_date = Date()
    application_year = Integer()
    filing_sort = Date()  # the filing date, else 1 January of the filing year (records with the year only)
    listed = Boolean()
    title_suggest = Completion()
    applicant_suggest = Completion()

    @classmethod
    def from_document(cls, doc: PatentDocument) -> PatentIndexDoc:
        levels: dict[str, list[str]] = {name: [] for name in IPC_FACET_BY_LEVEL.values()}
        for code in doc.ipc_codes:
            for name, value in _ipc_levels(code).items():
                if value not in levels[name]:
                    levels[name].append(value)
        title_inputs = [doc.title]
        stripped = doc.title
        for lead in ("一种用于", "一种"):
            if stripped.startswith(lead):
                stripped = stripped[len(lead) :]
        if stripped and stripped != doc.title:
            title_inputs.append(stripped)
        return cls(
            meta={"id": doc.id},
            patent_id=doc.id,
            publication_number=doc.publication_number,
            numbers=list(document_number_keys(doc.publication_number, doc.application_number)),
            title=doc.title,
            abstract=doc.abstract,
            claims=doc.claims,
            applicants=list(doc.applicants),
            applicants_text=" ".join(doc.applicants),
            inventors=list(doc.inventors),
            ipc_codes=list(doc.ipc_codes),
            **levels,
            zone=list(doc.zones),
            industry=list(doc.industries),
            legal_status=doc.legal_status or None,
            kind=doc.kind or None,
            application_date=doc.application_date,
            application_year=doc.filing_year,
            filing_sort=doc.filing_sort_date,
            listed=doc.listed,
            title_suggest={"input": title_inputs},
            applicant_suggest={"input": list(doc.applicants)} if doc.applicants else None,
        )
