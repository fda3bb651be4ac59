"""The contact copy's gRPC servicer: what marketing knows of one customer's reachability."""

from __future__ import annotations

import grpc
from crm_platform import parsing
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.marketing.v1 import contacts_pb2, contacts_pb2_grpc

from crm_marketing.domain.contacts import Channel
from crm_marketing.service_layer.contacts import ContactQueries

SERVICE = contacts_pb2.DESCRIPTOR.services_by_name["ContactService"]


class ContactServicer(contacts_pb2_grpc.ContactServiceServicer):
    def __init__(self, contacts: ContactQueries) -> None:
        self.contacts = contacts

    def GetContact(
        self, request: contacts_pb2.GetContactRequest, context: grpc.ServicerContext
    ) -> contacts_pb2.Contact:
        contact = self.contacts.get(parsing.uuid(request.customer_id, "customer_id"))
        profile = contact.profile
        return contacts_pb2.Contact(
            customer_id=str(contact.customer_id),
            name=profile.name,
            email=profile.email,
            phone=profile.phone,
            region=profile.region,
            city=profile.city,
            blacklisted=contact.blacklisted.value,
            merged_into_id="" if contact.merged_into_id is None else str(contact.merged_into_id),
            consents=[channel.value for channel in Channel if contact.consents_to(channel)],
            reachable_by=[channel.value for channel in Channel if contact.reachable_by(channel)],
            version=contact.version,
        )


def binding(contacts: ContactQueries) -> ServiceBinding:
    return ServiceBinding(
        SERVICE.full_name,
        ContactServicer(contacts),
        contacts_pb2_grpc.add_ContactServiceServicer_to_server,
    )
