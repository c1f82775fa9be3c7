"""The read-only guard at the boto3 boundary.

Every client annexa creates carries a ``before-call`` handler that inspects the operation about
to be sent and raises :class:`MutationRefused` unless it is a read. The check runs before the
request is signed or sent, so a bug in a connector cannot change a customer's estate.

A read is an operation whose name starts with ``Get``, ``List``, ``Describe``, ``Head`` or
``Lookup``, or one of the few explicitly allowed non-mutating calls (STS identity and role
assumption, IAM credential-report generation). Some "reads" return secrets or customer data
rather than configuration; they are refused as well (``GetSecretValue``, ``GetObject``,
``GetParameter``, ``GetAuthorizationToken``, ...), because evidence never needs them.
"""

from __future__ import annotations

from typing import Any

from annexa.connectors.calls import count_request, note_operation
from annexa.connectors.errors import MutationRefused

READ_PREFIXES = ("Get", "List", "Describe", "Head", "Lookup")

ALLOWED_OPERATIONS = frozenset(
    {
        ("sts", "AssumeRole"),
        ("sts", "GetCallerIdentity"),
        ("iam", "GenerateCredentialReport"),
    }
)

# Reads that return secrets, credentials or customer data instead of configuration.
REFUSED_READS = frozenset(
    {
        ("secretsmanager", "GetSecretValue"),
        ("secretsmanager", "BatchGetSecretValue"),
        ("secretsmanager", "GetRandomPassword"),
        ("ssm", "GetParameter"),
        ("ssm", "GetParameters"),
        ("ssm", "GetParametersByPath"),
        ("ssm", "GetParameterHistory"),
        ("s3", "GetObject"),
        ("s3", "GetObjectTorrent"),
        ("ec2", "GetPasswordData"),
        ("ecr", "GetAuthorizationToken"),
        ("ecr-public", "GetAuthorizationToken"),
        ("sts", "GetSessionToken"),
        ("sts", "GetFederationToken"),
        ("sso", "GetRoleCredentials"),
        ("cognito-identity", "GetCredentialsForIdentity"),
        ("cognito-identity", "GetOpenIdToken"),
        ("redshift", "GetClusterCredentials"),
        ("redshift", "GetClusterCredentialsWithIAM"),
        ("codeartifact", "GetAuthorizationToken"),
        ("kms", "GetParametersForImport"),
        ("logs", "GetLogEvents"),
        ("logs", "GetLogRecord"),
        ("dynamodb", "GetItem"),
        ("kinesis", "GetRecords"),
        ("athena", "GetQueryResults"),
        ("appconfigdata", "GetLatestConfiguration"),
        ("glacier", "GetJobOutput"),
        ("codecommit", "GetBlob"),
        ("codecommit", "GetFile"),
        ("lambda", "GetFunction"),
    }
)


def is_read(service: str, operation: str) -> bool:
    """Whether ``service:operation`` may leave annexa."""
    key = (service, operation)
    if key in REFUSED_READS:
        return False
    return key in ALLOWED_OPERATIONS or operation.startswith(READ_PREFIXES)


def _service(model: Any) -> str:
    return str(model.service_model.service_name)


def refuse_mutations(model: Any, **_: Any) -> None:
    """botocore ``before-call`` handler: raise unless the operation is a read."""
    service, operation = _service(model), model.name
    if not is_read(service, operation):
        raise MutationRefused(
            f"read-only guard refused {service}:{operation}; annexa only reads",
            operation=f"{service}:{operation}",
        )
    note_operation(f"{service}:{operation}")


def count_sent(**_: Any) -> None:
    """botocore ``before-send`` handler: count every HTTP request (retries included)."""
    count_request()


def install(events: Any) -> None:
    """Register the guard and the request counter on a client's or session's event emitter."""
    events.register("before-call", refuse_mutations, unique_id="annexa-read-only-guard")
    events.register("before-send", count_sent, unique_id="annexa-request-counter")
