"""EKS through boto3 against moto over HTTP in two regions; real AWS's full shape via Stubber.

moto 5.2.5 leaves the endpoint settings out when a cluster is created without them (real AWS
always reports them) and drops ``accessConfig``; the Stubber test covers real AWS's answer.
"""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from annexa.connectors.aws.eks import EksConnector, endpoint, transform_cluster, version_parts
from tests.support.aws import ACCOUNT, by_id, client, open_session, run_unit

KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/secrets"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/eks"


def cluster_arn(region: str, name: str) -> str:
    return f"arn:aws:eks:{region}:{ACCOUNT}:cluster/{name}"


@pytest.fixture
def estate(moto: str) -> str:
    client(moto, "eks", "us-east-1").create_cluster(
        name="legacy", version="1.27", roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["subnet-1"]}
    )
    client(moto, "eks", "eu-west-1").create_cluster(
        name="platform",
        version="1.31",
        roleArn=ROLE,
        resourcesVpcConfig={
            "subnetIds": ["subnet-1"],
            "endpointPublicAccess": True,
            "endpointPrivateAccess": True,
            "publicAccessCidrs": ["203.0.113.0/24"],
        },
        logging={
            "clusterLogging": [
                {"types": ["api", "audit", "authenticator"], "enabled": True},
                {"types": ["controllerManager", "scheduler"], "enabled": False},
            ]
        },
        encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": KEY}}],
        tags={"team": "platform"},
    )
    return moto


def test_clusters_in_two_regions(estate: str) -> None:
    session = open_session(estate)
    us, _ = run_unit(EksConnector, estate, "us-east-1", session)
    eu, _ = run_unit(EksConnector, estate, "eu-west-1", session)

    legacy = by_id(us, "aws.eks.cluster")[cluster_arn("us-east-1", "legacy")].attributes
    assert legacy["kubernetes_version"] == "1.27"
    assert (legacy["version_major"], legacy["version_minor"]) == (1, 27)
    assert legacy["logging_enabled_types"] == []
    assert legacy["secrets_encrypted"] is False and legacy["secrets_kms_key"] is None
    # moto omits the endpoint settings; EKS's documented defaults apply: public to everyone.
    assert legacy["endpoint_public_access"] is True and legacy["endpoint_private_access"] is False
    assert legacy["public_access_cidrs"] == ["0.0.0.0/0"] and legacy["public_endpoint_open"] is True
    assert legacy["status"] == "ACTIVE" and legacy["platform_version"]

    [platform] = by_id(eu, "aws.eks.cluster").values()
    assert platform.resource_id == cluster_arn("eu-west-1", "platform")
    attrs = platform.attributes
    assert attrs["logging_enabled_types"] == ["api", "audit", "authenticator"]
    assert attrs["secrets_encrypted"] is True and attrs["secrets_kms_key"] == KEY
    assert attrs["public_access_cidrs"] == ["203.0.113.0/24"]
    assert attrs["public_endpoint_open"] is False and attrs["endpoint_private_access"] is True
    assert attrs["tags"] == {"team": "platform"}
    assert platform.scope.region == "eu-west-1"


def test_real_aws_cluster_shape(moto: str) -> None:
    """moto drops accessConfig; a real DescribeCluster answer through Stubber."""
    eks = open_session(moto).client("eks", "us-east-1")
    with Stubber(eks) as stub:
        stub.add_response(
            "describe_cluster",
            {
                "cluster": {
                    "name": "shop",
                    "arn": cluster_arn("us-east-1", "shop"),
                    "version": "1.30",
                    "platformVersion": "eks.12",
                    "status": "ACTIVE",
                    "resourcesVpcConfig": {
                        "endpointPublicAccess": False,
                        "endpointPrivateAccess": True,
                        "publicAccessCidrs": ["0.0.0.0/0"],
                    },
                    "logging": {"clusterLogging": [{"types": ["audit"], "enabled": True}]},
                    "encryptionConfig": [{"resources": ["secrets"], "provider": {}}],
                    "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP"},
                }
            },
            {"name": "shop"},
        )
        attrs = transform_cluster(eks.describe_cluster(name="shop")["cluster"])
    assert attrs["authentication_mode"] == "API_AND_CONFIG_MAP"
    assert (attrs["version_major"], attrs["version_minor"]) == (1, 30)
    # a private-only endpoint is not open, whatever CIDR list AWS still reports
    assert attrs["endpoint_public_access"] is False and attrs["public_access_cidrs"] == []
    assert attrs["public_endpoint_open"] is False
    assert attrs["secrets_encrypted"] is False, "secrets listed without a key are not encrypted"
    assert attrs["logging_enabled_types"] == ["audit"]


@pytest.mark.parametrize(
    ("version", "parts"),
    [
        ("1.29", (1, 29)),
        ("1.30", (1, 30)),
        ("1.9", (1, 9)),
        ("2.0-eks", (2, 0)),
        ("", (None, None)),
    ],
)
def test_version_parts_are_integers(version: str, parts: tuple) -> None:
    found = version_parts(version)
    assert (found["version_major"], found["version_minor"]) == parts


def test_ipv6_open_endpoint() -> None:
    assert endpoint({"endpointPublicAccess": True, "publicAccessCidrs": ["::/0"]})[
        "public_endpoint_open"
    ]


def test_denied_describe_is_a_gap(estate: str, proxy) -> None:
    proxy.deny(service="eks", operation="GET /clusters/legacy?")
    [obs], _ = run_unit(EksConnector, proxy.url, "us-east-1")
    assert obs.attributes == {"name": "legacy"}
    assert obs.resource_id == cluster_arn("us-east-1", "legacy")
    assert "PermissionDenied" in obs.gaps["public_endpoint_open"]
    assert "secrets_encrypted" in obs.gaps and "logging_enabled_types" in obs.gaps
    proxy.deny(service="eks", region="eu-west-1")
    with pytest.raises(Exception, match="AccessDenied"):
        run_unit(EksConnector, proxy.url, "eu-west-1")
