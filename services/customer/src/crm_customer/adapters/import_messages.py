"""Import jobs and duplicate pairs <-> protobuf messages (crm.customer.v1 imports.proto)."""

from __future__ import annotations

from crm_platform.enums import EnumCodec
from crm_platform.parsing import timestamp
from crm_proto.crm.customer.v1 import imports_pb2

from crm_customer.adapters.messages import actor_to_proto, customer_to_proto
from crm_customer.domain.imports import CustomerImport, ImportStatus
from crm_customer.service_layer.duplicate_review import DuplicatePair

IMPORT_STATUSES = EnumCodec(ImportStatus, imports_pb2.ImportStatus)


def import_to_proto(job: CustomerImport) -> imports_pb2.CustomerImport:
    message = imports_pb2.CustomerImport(
        id=str(job.id),
        status=IMPORT_STATUSES.to_proto(job.status),
        file_name=job.file_name,
        total=job.total,
        done=job.done,
        accepted=job.accepted,
        rejected=job.rejected,
        actor=actor_to_proto(job.actor),
        created_at=timestamp(job.created_at),
        updated_at=timestamp(job.updated_at),
    )
    if job.finished_at is not None:
        message.finished_at.CopyFrom(timestamp(job.finished_at))
    return message


def pair_to_proto(pair: DuplicatePair) -> imports_pb2.DuplicatePair:
    return imports_pb2.DuplicatePair(
        first=customer_to_proto(pair.first),
        second=customer_to_proto(pair.second),
        score=pair.score,
        reasons=pair.reasons,
    )
