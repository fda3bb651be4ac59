"""Who may call which method of the service's gRPC services: the `(crm.common.v1.access)`
options in proto/crm/service/v1, the one declaration the gateway reads too. The service layer
then limits each caller to the cases they may see (service_layer/visibility.py), and the case
says who may take which step."""

from __future__ import annotations

from crm_platform.access import policy_of
from crm_platform.privacy import PERSONAL_DATA
from crm_proto.crm.service.v1 import care_pb2, cases_pb2, knowledge_pb2, routing_pb2, sla_pb2

POLICY = policy_of(
    cases_pb2.DESCRIPTOR.services_by_name["CaseService"],
    routing_pb2.DESCRIPTOR.services_by_name["RoutingService"],
    sla_pb2.DESCRIPTOR.services_by_name["AgreementService"],
    knowledge_pb2.DESCRIPTOR.services_by_name["KnowledgeService"],
    care_pb2.DESCRIPTOR.services_by_name["SurveyService"],
    care_pb2.DESCRIPTOR.services_by_name["CareService"],
    PERSONAL_DATA,
)
