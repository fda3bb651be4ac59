"""Who may call which method of AnalyticsService: the one place (the table is in
docs/decisions/0005-access-tokens.md). A method missing here is denied by the chassis."""

from __future__ import annotations

from crm_platform.auth import Allow, Policy

READ = "analytics:read"

POLICY = Policy(
    {
        "GetDemographicSegments": Allow(
            roles={"admin", "manager", "marketer", "analyst", "finance", "sales_rep"},
            scopes={READ},
        ),
    }
)
