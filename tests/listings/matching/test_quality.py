"""Matching quality: corpus term weights, no sub-words of the demand's words, the LSA part in the explanation,
predicted fields for a demand without IPC codes, pending applications when the demand accepts assignment, and
one scorer (the same score) for the demand → patent and listing → demand paths."""
from __future__ import annotations

import pytest

from listings.catalogue.models import LegalStatus
from listings.matching import development_set, semantics
from listings.matching.candidates import match, score_patents, with_predicted_fields
from listings.matching.scorer import DemandQuery
from tests.factories import PatentFactory

pytestmark = pytest.mark.django_db

#: a small corpus in which 装置 and 控制 are everywhere and 机器视觉 is rare
TEXTS = (
    ["一种控制装置"] * 30 + ["电动汽车的控制装置"] * 5 + ["动车组转向架控制装置"] * 3
    + ["基于机器视觉的焊缝检测装置", "机器视觉 缺陷 检测 相机", "焊接 机器人 焊缝 跟踪", "锂离子电池 正极材料 包覆",
       "锂离子电池 电解液", "光伏组件 清洗 机器人", "光伏板 自动 清扫 装置", "电镀 废水 重金属 去除", "废水 沉淀 处理"]
)


@pytest.fixture
def model(settings, tmp_path):
    trained = semantics.train(TEXTS, components=8)
    settings.MATCHING_MODEL_PATH = semantics.save(trained, tmp_path / "matching-model.joblib")
    return trained


def test_generic_words_weigh_little_and_rare_words_much(model):
    terms = semantics.demand_terms("需要焊缝视觉控制", model)
    weights = dict(zip((g.word for g in terms.groups), terms.weights))
    assert "需要" not in weights  # request language is not a word of the demand
    assert weights["焊缝"] > 2 * weights["控制"] and weights["视觉"] > 2 * weights["控制"]


def test_no_sub_word_of_a_demand_word_matches(model):
    terms = semantics.demand_terms("电动车", model)
    coverage, held = terms.coverage(semantics.document_text("动车组转向架控制装置"))
    assert coverage == 0 and held == {}
    coverage, held = terms.coverage(semantics.document_text("电动车的控制装置"))
    assert coverage == pytest.approx(1.0, abs=1e-3) and set(held) == {"电动车"}


def test_the_semantic_part_is_in_the_explanation(model, memory_search, index_all):
    near = PatentFactory(title="光伏板自动清扫装置", ipc=["H02S40/10"])
    PatentFactory(title="电镀废水重金属去除", ipc=["C02F1/62"])
    index_all()
    [result, *_] = match(DemandQuery(text="光伏组件清洗机器人"), model=model)
    assert result.patent_id == near.pk
    semantic = next(p for p in result.explanation["parts"] if p["name"] == "semantic")
    assert semantic["raw"] == pytest.approx(result.explanation["semantic"], abs=1e-4) and semantic["raw"] > 0


def test_pending_applications_are_candidates_only_when_assignment_is_accepted(model, memory_search, index_all):
    pending = PatentFactory(title="锂离子电池正极材料包覆方法", ipc=["H01M4/36"], legal_status=LegalStatus.PENDING)
    index_all()
    accepts = match(DemandQuery(text="锂离子电池正极材料", deal_types=("assignment", "licence")), model=model)
    mine = next(r for r in accepts if r.patent_id == pending.pk)
    assert mine.explanation["pending"] is True
    assert mine.explanation["deal_type_fit"]["status"] == "pending_assignable"
    licence_only = match(DemandQuery(text="锂离子电池正极材料", deal_types=("licence",)), model=model)
    assert pending.pk not in {r.patent_id for r in licence_only}


def test_both_paths_give_a_patent_the_same_score(model, memory_search, index_all):
    patents = [PatentFactory(title="基于机器视觉的焊缝检测装置", ipc=["G01N21/88"]),
               PatentFactory(title="焊接机器人焊缝跟踪", ipc=["B23K9/127"])]
    index_all()
    query = DemandQuery(text="焊缝质量的机器视觉检测", industries=("X",))
    forward = {r.patent_id: r.score for r in match(query, model=model)}
    backward = {r.patent_id: r.score for r in score_patents(with_predicted_fields(query), [p.pk for p in patents], model=model)}
    for patent in patents:
        assert backward[patent.pk] == pytest.approx(forward[patent.pk])


def test_predicted_fields_come_from_the_field_classifier(settings, tmp_path):
    from search import classifier

    fitted = classifier.train(["光伏 清洗", "光伏 支架", "废水 处理", "电镀 废水"], ["H02S", "H02S", "C02F", "C02F"])
    settings.FIELD_CLASSIFIER_PATH = classifier.save(fitted, tmp_path / "fc.joblib")
    query = with_predicted_fields(DemandQuery(text="电镀废水怎么处理"))
    assert query.predicted_codes[0][0] == "C02F"
    assert with_predicted_fields(DemandQuery(text="电镀废水", ipc_codes=("C02F",))).predicted_codes == ()


def test_the_development_set_is_in_the_repository_and_well_formed(tmp_path):
    demands = development_set.load()
    assert len(demands) >= 40
    assert all(d.acceptable and d.industry.startswith("SEI-") for d in demands)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "X1", "industry": "SEI-1.1", "acceptable": ["H01M"], "text": "我们需要 H01M 10/052 方向的锂离子电池技术，提高循环寿命和安全性能，最好有量产经验。"}\n',
                   encoding="utf-8")
    with pytest.raises(development_set.DevSetError, match="text: names an IPC code"):
        development_set.load(bad)
