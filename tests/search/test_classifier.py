"""The field classifier learns on a small separable corpus, saves and loads, and says nothing without a model."""
from __future__ import annotations

import pytest

from search import classifier

FIELDS = {
    "H01M": ["锂离子电池正极材料", "电池负极与电解液", "锂电池隔膜", "电池极片涂布", "动力电池模组", "固态电池电解质",
             "电池正极浆料", "储能电池包", "电池电解液添加剂", "锂电池负极硅碳"],
    "C02F": ["废水处理絮凝剂", "污水重金属去除", "电镀废水回收", "污泥脱水", "工业废水膜过滤", "生活污水生化处理",
             "废水除磷脱氮", "污水消毒装置", "废水中和池", "重金属废水沉淀"],
    "F16C": ["轴承保持架", "滚动轴承润滑", "轴承密封圈", "滑动轴承衬套", "圆锥滚子轴承", "轴承外圈加工",
             "深沟球轴承", "轴承游隙调整", "关节轴承结构", "轴承座固定"],
}


def split():
    train_x, train_y, test_x, test_y = [], [], [], []
    for label, texts in FIELDS.items():
        for i, text in enumerate(texts):
            (test_x if i % 5 == 4 else train_x).append(text)
            (test_y if i % 5 == 4 else train_y).append(label)
    return train_x, train_y, test_x, test_y


def test_the_model_learns_a_separable_corpus():
    train_x, train_y, test_x, test_y = split()
    model = classifier.train(train_x, train_y)
    for text, label, top in zip(test_x, test_y, classifier.top_k(model, test_x, 3)):
        assert label in [c for c, _ in top][:3], text
    top1 = [row[0][0] for row in classifier.top_k(model, test_x, 1)]
    assert classifier.accuracy([[p] for p in top1], test_y, 1) >= 0.5


def test_predict_fields_reads_the_saved_model_and_is_empty_without_one(tmp_path):
    path = tmp_path / "field-classifier.joblib"
    assert classifier.predict_fields("锂电池正极", path=path) == []
    train_x, train_y, _, _ = split()
    classifier.save(classifier.train(train_x, train_y), path)
    predicted = classifier.predict_fields("一种提高锂离子电池正极材料循环寿命的方法", k=2, path=path)
    assert len(predicted) == 2 and predicted[0][0] == "H01M"
    assert classifier.predict_fields("", path=path) == []


def test_training_needs_two_subclasses():
    with pytest.raises(ValueError):
        classifier.train(["a", "b"], ["H01M", "H01M"])


def test_baselines():
    train_x, train_y, test_x, test_y = split()
    assert classifier.most_frequent_baseline(["A", "B", "B"], 1) == ["B"]
    nn = classifier.nearest_neighbour_top_k(train_x, train_y, test_x, 3)
    assert len(nn) == len(test_x) and all(row for row in nn)


@pytest.mark.django_db
def test_train_command_writes_the_model_from_the_patent_table(tmp_path, settings):
    from django.core.management import call_command

    from tests.factories import PatentFactory

    for label, texts in FIELDS.items():
        for text in texts[:4]:
            PatentFactory(title=text, ipc=[f"{label}1/00"])
    settings.FIELD_CLASSIFIER_PATH = tmp_path / "model.joblib"
    call_command("train_field_classifier")
    assert (tmp_path / "model.joblib").exists()
    assert classifier.predict_fields("电池负极材料", k=1)[0][0] == "H01M"
