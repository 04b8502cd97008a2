"""The top-level `emr_dags` namespace resolves public names lazily and rejects unknown ones."""

from __future__ import annotations

import pytest

import emr_dags


def test_every_registered_name_resolves_to_the_object_in_its_module():
    import importlib

    for name, module in emr_dags._LAZY.items():
        assert getattr(emr_dags, name) is getattr(importlib.import_module(module), name), name


def test_unknown_names_raise_attribute_error_naming_them():
    with pytest.raises(AttributeError, match="no attribute 'ClusterSpek'"):
        _ = emr_dags.ClusterSpek


def test_dir_lists_the_lazy_names():
    assert {"ClusterSpec", "SparkStep", "EmrConfigError"} <= set(dir(emr_dags))
