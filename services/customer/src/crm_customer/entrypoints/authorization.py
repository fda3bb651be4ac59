"""Who may call which method of CustomerService: the one place (the table is in
docs/decisions/0005-access-tokens.md). Staff by role, machine clients by scope, customers and
partner users by their kind of principal; the service layer then limits customers to their own
record and timeline, and partner users to the records assigned to their partner
(service_layer/access.py, docs/decisions/0006-partner-assignment.md). A method missing here is
denied by the chassis.
"""

from __future__ import annotations

from crm_platform.auth import Allow, Policy

READ = "customers:read"
WRITE = "customers:write"

# admin and manager may do everything
LEADS = {"admin", "manager"}
# read and write customers and their timeline
FRONT_OFFICE = LEADS | {"sales_rep", "service_agent"}
# read only
READERS = FRONT_OFFICE | {"marketer", "analyst", "finance"}

POLICY = Policy(
    {
        "CreateCustomer": Allow(roles=FRONT_OFFICE, scopes={WRITE}),
        "GetCustomer": Allow(roles=READERS, scopes={READ}, customers=True, partners=True),
        "UpdateCustomer": Allow(roles=FRONT_OFFICE, scopes={WRITE}, customers=True),
        "ListCustomers": Allow(roles=READERS, scopes={READ}, partners=True),
        "MergeCustomers": Allow(roles=LEADS, scopes={WRITE}),
        "BlacklistCustomer": Allow(roles=LEADS, scopes={WRITE}),
        "UnblacklistCustomer": Allow(roles=LEADS, scopes={WRITE}),
        "RecognizeCustomer": Allow(roles=READERS, scopes={READ}),
        "SetConsent": Allow(roles=FRONT_OFFICE | {"marketer"}, scopes={WRITE}, customers=True),
        "LogInteraction": Allow(roles=FRONT_OFFICE, scopes={WRITE}, customers=True),
        "ListInteractions": Allow(roles=READERS, scopes={READ}, customers=True, partners=True),
    }
)
