from __future__ import annotations

import json

import pytest

from emr_dags.cost.prices import ENV_PRICE_FILE, ENV_SPOT_FACTOR, load_price_table, refresh_from_pricing_api
from emr_dags.errors import EmrConfigError


def test_packaged_table_is_dated_and_covers_common_types():
    table = load_price_table(use_airflow_conf=False)
    assert table.as_of[:4].isdigit()
    for itype in ("m5.xlarge", "m5.4xlarge", "m6g.2xlarge", "r5.xlarge", "c5.4xlarge"):
        assert table.ec2[itype] > 0
        assert table.emr_uplift[itype] > 0
    assert {"x86_64", "arm64"} <= set(table.serverless)
    assert table.eks_uplift is not None
    assert table.region_factor["us-east-1"] == 1.0


def test_override_file_merges_over_the_packaged_table(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_SPOT_FACTOR, raising=False)
    f = tmp_path / "p.json"
    f.write_text(json.dumps({"ec2": {"m5.xlarge": 1.0, "x1.custom": 9.0}}))
    table = load_price_table(f, use_airflow_conf=False)
    assert table.ec2["m5.xlarge"] == 1.0
    assert table.ec2["x1.custom"] == 9.0
    assert table.ec2["r5.xlarge"] > 0  # untouched packaged price
    assert "overrides from p.json" in table.as_of


def test_env_price_file_and_spot_factor_are_honoured(tmp_path, monkeypatch):
    f = tmp_path / "p.json"
    f.write_text(json.dumps({"as_of": "2030-01-01"}))
    monkeypatch.setenv(ENV_PRICE_FILE, str(f))
    monkeypatch.setenv(ENV_SPOT_FACTOR, "0.2")
    table = load_price_table(use_airflow_conf=False)
    assert table.as_of == "2030-01-01"
    assert table.spot_factor == 0.2


def test_unreadable_price_file_names_the_setting_and_the_fix(tmp_path):
    with pytest.raises(EmrConfigError, match=r"\[emr_dags\] price_file"):
        load_price_table(tmp_path / "missing.json", use_airflow_conf=False)


def test_bad_spot_factor_is_rejected(tmp_path):
    f = tmp_path / "p.json"
    f.write_text(json.dumps({"spot_factor": 3}))
    with pytest.raises(EmrConfigError, match="spot_factor"):
        load_price_table(f, use_airflow_conf=False)


class _DeadPricing:
    def get_products(self, **kwargs):
        raise TimeoutError("no network")


class _Pricing:
    def get_products(self, **kwargs):
        item = {"terms": {"OnDemand": {"a": {"priceDimensions": {"b": {"pricePerUnit": {"USD": "0.5"}}}}}}}
        return {"PriceList": [json.dumps(item)]}


def test_pricing_api_failure_keeps_the_table():
    table = load_price_table(use_airflow_conf=False)
    assert refresh_from_pricing_api(table, ["m5.xlarge"], client=_DeadPricing()) is table


def test_pricing_api_answer_replaces_ec2_price_and_redates():
    table = load_price_table(use_airflow_conf=False)
    fresh = refresh_from_pricing_api(table, ["m5.xlarge"], client=_Pricing())
    assert fresh.ec2["m5.xlarge"] == 0.5
    assert "Pricing API" in fresh.as_of
