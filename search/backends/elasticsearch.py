"""The Elasticsearch engine, written with the elasticsearch-dsl API (``elasticsearch.dsl`` in elasticsearch-py 9).

Chinese analysis is the official ``analysis-smartcn`` plugin (deploy/elasticsearch/Dockerfile; the reasons
are in docs/search.md): ``smartcn_tokenizer`` then lower-case and the Porter stemmer for the English words
in mixed text. Patent boilerplate (一种, 及其, 方法, 装置…) is dropped by a stop filter in the *search*
analyser only, so a query made of boilerplate alone can still be asked (the backend then switches to the
index analyser) and never swamps a query that has real words.

The analysers and the indexed document are in ``elasticsearch_mapping``. Every IPC level is its own keyword field (section, class, subclass, main group, subgroup), so any level can
be filtered and aggregated. The live index is always reached through an alias: a rebuild creates
``<prefix>-patents-<timestamp>``, bulk-loads it, and swaps the alias in one ``_aliases`` call.

The request builders (``build_search``, ``build_more_like_this``, ``build_autocomplete``,
``index_definition``) are public so the tests can pin exactly what is sent.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError
from elasticsearch.dsl import (
    Index,
    Q,
    Search,
)
from elasticsearch.helpers import bulk

from search import analysis
from search.backends.elasticsearch_mapping import (  # noqa: F401 (the analysers: kept importable from here)
    PatentIndexDoc,
    patent_stop,
    query_stop,
    zh_index,
    zh_search,
    zh_synonyms,
)
from search.facets import BY_NAME, COUNTED, IPC_FACET_BY_LEVEL, VALUE_FACETS
from search.facets import ipc_levels as _ipc_levels
from search.interface import (
    FACETS,
    MAX_PAGE_SIZE,
    FacetValue,
    Hit,
    PatentDocument,
    ProgressCallback,
    SearchBackend,
    SearchFilters,
    SearchQuery,
    SearchResult,
    document_fingerprint,
)
from search.understanding import (
    PARTIAL_BELOW,
    apply_ipc,
    informative_groups,
    understand,
)

FACET_LIMIT = 200
BULK_CHUNK = 500
#: field → boost; title above abstract above claims (the same order as the embedded engine's BM25 weights)
TEXT_FIELDS = ("title^10", "abstract^4", "applicants_text^2", "claims^1")
HIGHLIGHT_FIELDS = ("title", "abstract", "claims")

#: facet name → the field aggregated for it (from the registry)
FACET_FIELDS = {facet.name: facet.es_field for facet in COUNTED}


class Backend(SearchBackend):
    name = "elasticsearch"

    def __init__(self, client: Elasticsearch, *, prefix: str = "zonepatent", refresh: str | bool = "wait_for"):
        self.client = client
        self.alias = f"{prefix}-patents"
        self.refresh = refresh

    @classmethod
    def from_settings(cls, settings) -> Backend:
        client = Elasticsearch(settings.ELASTICSEARCH_URL, request_timeout=30)
        return cls(client, prefix=settings.SEARCH_INDEX_PREFIX)

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------------------------------------------
    # index management
    # ------------------------------------------------------------------------------------------------
    def index_definition(self, name: str) -> Index:
        index = Index(name)
        index.settings(number_of_shards=1, number_of_replicas=0, max_result_window=10_000)
        index.document(PatentIndexDoc)
        return index

    def new_index_name(self) -> str:
        return f"{self.alias}-{dt.datetime.now(dt.UTC).strftime('%Y%m%d%H%M%S%f')}"

    def _ensure_index(self) -> None:
        """Before the first rebuild, create an index behind the alias so single writes have a home."""
        if not self.client.indices.exists_alias(name=self.alias):
            name = self.new_index_name()
            self.index_definition(name).create(using=self.client)
            self.client.indices.put_alias(index=name, name=self.alias)

    @staticmethod
    def _action(index: str, doc: PatentDocument) -> dict:
        return {"_op_type": "index", "_index": index, "_id": str(doc.id), "_source": PatentIndexDoc.from_document(doc).to_dict()}

    def index_one(self, document: PatentDocument) -> None:
        self._ensure_index()
        self.client.index(
            index=self.alias,
            id=str(document.id),
            document=PatentIndexDoc.from_document(document).to_dict(),
            refresh=self.refresh,
        )

    def index_many(self, documents: Iterable[PatentDocument], *, progress: ProgressCallback | None = None) -> int:
        self._ensure_index()
        return self._bulk(self.alias, documents, progress=progress, refresh=self.refresh)

    def _bulk(self, index: str, documents, *, progress, refresh) -> int:
        total = 0
        batch: list[PatentDocument] = []

        def flush():
            nonlocal total
            if batch:
                bulk(self.client, (self._action(index, d) for d in batch), chunk_size=BULK_CHUNK, refresh=refresh)
                total += len(batch)
                if progress:
                    progress(len(batch))
                batch.clear()

        for doc in documents:
            batch.append(doc)
            if len(batch) >= BULK_CHUNK:
                flush()
        flush()
        return total

    def delete(self, patent_id: int) -> None:
        try:
            self.client.delete(index=self.alias, id=str(patent_id), refresh=self.refresh)
        except NotFoundError:
            pass

    def rebuild(self, documents: Iterable[PatentDocument], *, progress: ProgressCallback | None = None) -> int:
        """A new index, bulk-loaded, then the alias moved in one atomic ``_aliases`` call; old indices dropped."""
        name = self.new_index_name()
        self.index_definition(name).create(using=self.client)
        total = self._bulk(name, documents, progress=progress, refresh=False)
        self.client.indices.refresh(index=name)
        try:
            old = sorted(self.client.indices.get_alias(name=self.alias).keys())
        except NotFoundError:
            old = []
        actions = [{"remove": {"index": index, "alias": self.alias}} for index in old]
        actions.append({"add": {"index": name, "alias": self.alias}})
        self.client.indices.update_aliases(actions=actions)
        for index in old:
            self.client.indices.delete(index=index, ignore_unavailable=True)
        return total

    def count(self) -> int:
        try:
            return int(self.client.count(index=self.alias)["count"])
        except NotFoundError:
            return 0

    def fingerprints(self) -> dict[int, str]:
        """Scrolls the whole index (``_source`` only for the fingerprinted fields)."""
        from elasticsearch.helpers import scan

        fields = ["publication_number", "title", "abstract", "claims", "applicants", "inventors", "ipc_codes", "zone",
                  "industry", "legal_status", "kind", "application_date", "listed"]
        found: dict[int, str] = {}
        try:
            hits = list(scan(self.client, index=self.alias, query={"query": {"match_all": {}}}, _source=fields))
        except NotFoundError:
            return found
        for hit in hits:
            src = hit.get("_source", {})
            day = src.get("application_date")
            doc = PatentDocument(
                id=int(hit["_id"]), publication_number=src.get("publication_number") or "", title=src.get("title") or "",
                abstract=src.get("abstract") or "", claims=src.get("claims") or "",
                applicants=tuple(src.get("applicants") or ()), inventors=tuple(src.get("inventors") or ()),
                ipc_codes=tuple(src.get("ipc_codes") or ()), zones=tuple(src.get("zone") or ()),
                industries=tuple(src.get("industry") or ()), legal_status=src.get("legal_status") or "",
                kind=src.get("kind") or "", application_date=dt.date.fromisoformat(str(day)[:10]) if day else None,
                listed=bool(src.get("listed")),
            )
            found[doc.id] = document_fingerprint(doc)
        return found

    # ------------------------------------------------------------------------------------------------
    # requests
    # ------------------------------------------------------------------------------------------------
    @staticmethod
    def _filter_clauses(filters: SearchFilters) -> list:
        clauses = []
        if filters.ipc:
            from listings.catalogue.identifiers import parse_ipc

            levels = _ipc_levels(filters.ipc)
            field = IPC_FACET_BY_LEVEL[parse_ipc(filters.ipc).level]
            clauses.append(Q("term", **{field: levels[field]}))
        for facet in VALUE_FACETS:
            value = getattr(filters, facet.filter_attr)
            if value:
                clauses.append(Q("term", **{facet.es_field: value}))
        if filters.year_from is not None or filters.year_to is not None:
            bounds = {}
            if filters.year_from is not None:
                bounds["gte"] = filters.year_from
            if filters.year_to is not None:
                bounds["lte"] = filters.year_to
            clauses.append(Q("range", application_year=bounds))
        if filters.ids is not None:
            clauses.append(Q("ids", values=[str(i) for i in filters.ids]))
        return clauses

    def _text_query(self, text: str, *, operator: str = "and", minimum_should_match: str | None = None):
        # boilerplate alone: search it with the index analyser, since the search analyser would remove it all
        only_boilerplate = understand(text).only_stopwords
        params = {"query": text, "fields": list(TEXT_FIELDS), "type": "best_fields", "operator": operator}
        if minimum_should_match:
            params["minimum_should_match"] = minimum_should_match
        if only_boilerplate:
            params["analyzer"] = "zh_index"
        return Q("multi_match", **params)

    def build_full_count(self, text: str) -> dict:
        """The ``_count`` body for documents holding every word (filters aside): fewer than ``PARTIAL_BELOW``
        switches the search to partial matches, exactly as the embedded engine decides."""
        return {"query": self._text_query(understand(text).text).to_dict()}

    def build_search(self, query: SearchQuery, *, partial: bool = False) -> Search:
        """The search body. ``partial``: documents holding at least half the words (``minimum_should_match``
        50%), those holding all of them boosted first, and a ``full_matches`` count to flag the result."""
        page_size = max(1, min(int(query.page_size), MAX_PAGE_SIZE))
        page = max(1, int(query.page))
        s = Search(index=self.alias)
        u = understand(query.text) if query.text.strip() else None
        filters_in = apply_ipc(query.filters, u)[0] if u is not None else query.filters
        text = u.text.strip() if u is not None and (u.numbers or u.ipc) else query.text.strip()
        if u is not None and not u.groups:
            text = ""
        filters = self._filter_clauses(filters_in)
        must = []
        if text and partial:
            must.append(self._text_query(text, operator="or", minimum_should_match="50%"))
        elif text:
            must.append(self._text_query(text))
        if u is not None and u.numbers:
            numbers = Q("terms", numbers=list(u.numbers), boost=1000)
            must = [Q("bool", should=[*must, numbers], minimum_should_match=1)]
        if must:
            params = {"must": must, "filter": filters}
            if partial and text:
                params["should"] = [Q("multi_match", query=text, fields=list(TEXT_FIELDS), type="best_fields",
                                      operator="and", boost=10)]
            s = s.query(Q("bool", **params))
            if partial and text:
                s.aggs.bucket("full_matches", "filter", filter=self._text_query(text))
        elif filters:
            s = s.query(Q("bool", filter=filters))
        text = text or (" ".join(u.numbers) if u is not None and u.numbers else "")
        # the tie-break; Elasticsearch takes the short {field: order} form, the DSL annotates only {field: {…}}
        by_id: dict[str, Any] = {"patent_id": "asc"}
        if query.sort == "newest" or (query.sort == "relevance" and not text):
            s = s.sort({"filing_sort": {"order": "desc", "missing": "_last"}}, by_id)
        elif query.sort == "oldest":
            s = s.sort({"filing_sort": {"order": "asc", "missing": "_last"}}, by_id)
        else:
            s = s.sort("_score", by_id)
        if query.facets:
            for name in FACETS:
                order = {"_key": "desc"} if BY_NAME[name].kind == "year" else [{"_count": "desc"}, {"_key": "asc"}]
                s.aggs.bucket(name, "terms", field=FACET_FIELDS[name], size=FACET_LIMIT, order=order)
            s.aggs.bucket(
                "application_date_histogram",
                "date_histogram",
                field="filing_sort",
                calendar_interval="year",
                format="yyyy",
                min_doc_count=1,
            )
        if query.highlight and text:
            s = s.highlight(
                "title", number_of_fragments=0
            ).highlight("abstract", fragment_size=160, number_of_fragments=1).highlight(
                "claims", fragment_size=160, number_of_fragments=1
            ).highlight_options(pre_tags=["<mark>"], post_tags=["</mark>"], encoder="html")
        s = s.source(["publication_number", "title"]).extra(track_total_hits=True)
        start = (page - 1) * page_size
        return s[start : start + page_size]

    def build_more_like_this(self, *, patent_id: int | None, text: str, filters: SearchFilters, limit: int) -> Search:
        like: list = []
        if patent_id is not None:
            like.append({"_index": self.alias, "_id": str(patent_id)})
        if text:
            like.append(text)
        mlt = Q(
            "more_like_this",
            fields=["title", "abstract", "claims"],
            like=like,
            min_term_freq=1,
            min_doc_freq=1,
            max_query_terms=25,
            minimum_should_match="10%",
            stop_words=sorted(analysis.CJK_STOPWORDS | analysis.EN_STOPWORDS),
        )
        s = Search(index=self.alias).query(Q("bool", must=[mlt], filter=self._filter_clauses(filters)))
        s = s.highlight("title", number_of_fragments=0).highlight_options(
            pre_tags=["<mark>"], post_tags=["</mark>"], encoder="html"
        )
        return s.source(["publication_number", "title"])[0:limit]

    def build_autocomplete(self, prefix: str, *, field: str, limit: int) -> Search:
        suggest_field = {"title": "title_suggest", "applicant": "applicant_suggest"}[field]
        s = Search(index=self.alias).source(False)
        s = s.suggest(
            "complete", prefix, completion={"field": suggest_field, "size": limit, "skip_duplicates": True}
        )
        return s.extra(size=0)

    # ------------------------------------------------------------------------------------------------
    # reading
    # ------------------------------------------------------------------------------------------------
    def _execute(self, s: Search):
        return s.using(self.client).execute()

    @staticmethod
    def _hit(raw) -> Hit:
        found = raw.meta.to_dict().get("highlight") or {}
        highlights = {name: " … ".join(found[name]) for name in HIGHLIGHT_FIELDS if found.get(name)}
        return Hit(
            id=int(raw.meta.id),
            publication_number=getattr(raw, "publication_number", ""),
            title=getattr(raw, "title", ""),
            score=float(raw.meta.score or 0.0),
            highlights=highlights,
        )

    def search(self, query: SearchQuery) -> SearchResult:
        page_size = max(1, min(int(query.page_size), MAX_PAGE_SIZE))
        page = max(1, int(query.page))
        u = understand(query.text) if query.text.strip() else None
        filters, ipc_from_query = apply_ipc(query.filters, u) if u is not None else (query.filters, "")
        words: tuple[str, ...] = u.words if u else ()
        dropped_words: tuple[str, ...] = u.dropped if u else ()
        empty = SearchResult(total=0, hits=[], facets={n: [] for n in FACETS} if query.facets else {}, page=page,
                             page_size=page_size, words=words, dropped_words=dropped_words,
                             ipc_from_query=ipc_from_query)
        if u is not None and u.empty and not ipc_from_query:
            return empty
        if filters.ipc and not _ipc_levels(filters.ipc):
            return empty
        partial = False
        if u is not None and len(informative_groups(u)) >= 2 and not u.only_stopwords:
            counted = self.client.count(index=self.alias, query=self.build_full_count(query.text)["query"])
            partial = int(counted["count"]) < PARTIAL_BELOW
        response = self._execute(self.build_search(query, partial=partial))
        facets: dict[str, Sequence[FacetValue]] = {}
        if query.facets:
            for name in FACETS:
                buckets = getattr(response.aggregations, name).buckets
                facets[name] = [FacetValue(str(b.key), int(b.doc_count)) for b in buckets]
        total = int(response.hits.total.value)
        if partial:
            partial = int(response.aggregations.full_matches.doc_count) < total
        hits = [self._hit(raw) for raw in response]
        numbers = tuple(h.id for h in hits if u is not None and u.numbers and h.score >= 1000)
        return SearchResult(total=total, hits=hits, facets=facets, page=page, page_size=page_size,
                            partial=partial, words=words, dropped_words=dropped_words,
                            ipc_from_query=ipc_from_query, numbers_found=numbers)

    def date_histogram(self, query: SearchQuery) -> list[FacetValue]:
        """Filings per year for the query (the aggregation the embedded engine gives as ``application_year``)."""
        response = self._execute(self.build_search(SearchQuery(text=query.text, filters=query.filters, page_size=1)))
        return [FacetValue(b.key_as_string, int(b.doc_count)) for b in response.aggregations.application_date_histogram.buckets]

    def autocomplete(self, prefix: str, *, field: str = "title", limit: int = 10) -> list[str]:
        text = (prefix or "").strip()[:100]
        if field not in ("title", "applicant"):
            raise ValueError(f"autocomplete field must be 'title' or 'applicant', not {field!r}")
        if not text:
            return []
        limit = max(1, min(int(limit), 50))
        response = self._execute(self.build_autocomplete(text, field=field, limit=limit))
        options = response.suggest.complete[0].options
        out = []
        for option in options:
            value = option._source.title if field == "title" else option.text
            if value not in out:
                out.append(value)
        return out[:limit]

    def more_like_this(
        self,
        *,
        patent_id: int | None = None,
        text: str = "",
        filters: SearchFilters | None = None,
        limit: int = 10,
    ) -> list[Hit]:
        if patent_id is None and not text.strip():
            return []
        limit = max(1, min(int(limit), MAX_PAGE_SIZE))
        s = self.build_more_like_this(patent_id=patent_id, text=text.strip(), filters=filters or SearchFilters(), limit=limit)
        return [self._hit(raw) for raw in self._execute(s)]
