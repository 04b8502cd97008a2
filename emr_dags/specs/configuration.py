"""EMR configuration classifications (``spark-defaults``, ``hive-site``, ...), shared by every flavour.

EMR on EC2 spells them ``{"Classification", "Properties", "Configurations"}``; EMR Serverless and
EMR on EKS spell the same object in lower camel case. One :class:`Configuration` renders both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emr_dags.specs._common import (
    check_instances,
    check_str,
    coerce_str_mapping,
    coerce_tuple,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

_CLASSIFICATION = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-_]*", re.ASCII)


@dataclass(frozen=True, kw_only=True, slots=True)
class Configuration:
    """One configuration classification, e.g. ``spark-defaults`` with its properties.

    Property values may be str, int, float or bool; they are stored as the strings EMR expects
    (``True`` -> ``"true"``). Use the helpers :meth:`spark_defaults`, :meth:`spark_env`,
    :meth:`hive_site` for the common ones.
    """

    classification: str
    properties: Mapping[str, Any] = field(default_factory=dict)
    configurations: tuple[Configuration, ...] = ()

    def __post_init__(self) -> None:
        check_str(
            self,
            "classification",
            self.classification,
            max_len=1024,
            pattern=_CLASSIFICATION,
            expected="a classification name like 'spark-defaults' or 'hive-site'",
        )
        coerce_str_mapping(self, "properties", self.properties)
        nested = coerce_tuple(self, "configurations", self.configurations, expected="a list of Configuration")
        check_instances(self, "configurations", nested, Configuration, expected="a Configuration")

    # --- helpers for the classifications analysts use every day -----------------------------

    @classmethod
    def spark_defaults(cls, properties: Mapping[str, Any]) -> Configuration:
        """``spark-defaults``: cluster-wide ``spark.*`` settings, e.g. ``{"spark.sql.shuffle.partitions": 400}``."""
        return cls(classification="spark-defaults", properties=properties)

    @classmethod
    def spark_env(cls, env: Mapping[str, Any]) -> Configuration:
        """``spark-env`` / ``export``: environment variables for Spark processes, e.g. ``PYSPARK_PYTHON``."""
        return cls(
            classification="spark-env",
            configurations=(cls(classification="export", properties=env),),
        )

    @classmethod
    def spark(cls, *, maximize_resource_allocation: bool = True) -> Configuration:
        """``spark``: EMR's own Spark switches."""
        return cls(
            classification="spark",
            properties={"maximizeResourceAllocation": maximize_resource_allocation},
        )

    @classmethod
    def hive_site(cls, properties: Mapping[str, Any]) -> Configuration:
        """``hive-site``: Hive metastore and execution settings."""
        return cls(classification="hive-site", properties=properties)

    @classmethod
    def glue_catalog(cls, *, for_spark: bool = True, for_hive: bool = True) -> tuple[Configuration, ...]:
        """Use the AWS Glue Data Catalog as the metastore for Spark SQL and/or Hive."""
        factory = "com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory"
        out: list[Configuration] = []
        if for_hive:
            out.append(cls.hive_site({"hive.metastore.client.factory.class": factory}))
        if for_spark:
            out.append(
                cls(
                    classification="spark-hive-site",
                    properties={"hive.metastore.client.factory.class": factory},
                )
            )
        return tuple(out)

    # --- rendering -------------------------------------------------------------------------------

    def to_emr(self) -> dict[str, Any]:
        """EMR on EC2 shape (RunJobFlow ``Configurations``)."""
        out: dict[str, Any] = {"Classification": self.classification}
        if self.properties:
            out["Properties"] = dict(self.properties)
        if self.configurations:
            out["Configurations"] = [c.to_emr() for c in self.configurations]
        return out

    def to_api(self) -> dict[str, Any]:
        """EMR Serverless / EMR on EKS shape (``applicationConfiguration``)."""
        out: dict[str, Any] = {"classification": self.classification}
        if self.properties:
            out["properties"] = dict(self.properties)
        if self.configurations:
            out["configurations"] = [c.to_api() for c in self.configurations]
        return out
