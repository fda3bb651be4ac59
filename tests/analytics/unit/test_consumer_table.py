import sys
from pathlib import Path

import crm_proto.crm
from crm_analytics.entrypoints.consumer import HANDLERS
from crm_platform.events import load_event_types


def test_analytics_subscribes_to_every_event() -> None:
    assert HANDLERS.subscription.queue == "analytics.events"
    assert HANDLERS.subscription.patterns == ("crm.#",)


def test_every_customer_and_order_fact_event_has_a_handler() -> None:
    assert set(HANDLERS.handlers) == {
        "crm.customer.v1.CustomerRegistered",
        "crm.customer.v1.CustomerUpdated",
        "crm.customer.v1.CustomerMerged",
        "crm.customer.v1.CustomerBlacklisted",
        "crm.customer.v1.CustomerUnblacklisted",
        "crm.customer.v1.CustomerErased",
        "crm.customer.v1.ConsentChanged",
        "crm.customer.v1.InteractionLogged",
        "crm.sales.v1.OrderPlaced",
        "crm.sales.v1.OrderStepTaken",
        "crm.sales.v1.OrderCancelled",
        "crm.sales.v1.OrderPartnerAssigned",
        "crm.sales.v1.OrderCustomerChanged",
        "crm.sales.v1.PaymentMilestonePaid",
    }


def test_every_domain_events_module_is_loaded_so_its_events_decode() -> None:
    root = Path(next(iter(crm_proto.crm.__path__)))
    expected = {
        "crm_proto.crm." + ".".join(path.relative_to(root).with_suffix("").parts)
        for path in root.rglob("events_pb2.py")
    }
    assert expected

    load_event_types()

    assert expected <= set(sys.modules)
