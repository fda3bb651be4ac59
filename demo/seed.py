"""The demo company made through the REST API, each thing once: what exists already (an email
taken, a code taken, a name listed, an order's key known) is found, not made again, and a
workflow goes on from the step it stands at."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx

from demo import company

# the workflow's steps in order: (step, path, body, who takes it: the order's customer, the
# rep who owns it, or the admin for a manager's step); a step refused with 409 was taken on an
# earlier run
ORDER_WORKFLOW = (
    ("confirm", "confirm", {}, "rep"),
    ("send_proposal", "proposal", {"proposal": "Concept, layout and print run"}, "rep"),
    ("approve_proposal", "approve-proposal", {}, "customer"),
    ("price", "price", {"amount": {"currency_code": "CNY", "amount": "18600.00"}}, "admin"),
    ("sign_contract", "sign", {}, "customer"),
    ("sign_contract", "sign", {}, "rep"),
    ("start_production", "start-production", {}, "rep"),
    ("deliver", "deliver", {}, "rep"),
)  # fmt: skip
# how far each target walks: the number of ORDER_WORKFLOW steps
REACHES = {"placed": 0, "proposal_sent": 2, "priced": 4, "in_production": 7, "paid": 8}


class DemoError(RuntimeError):
    """The API refused something the demo needs: says which call and why."""


class Seeder:
    def __init__(self, api: httpx.Client, admin_token: str, *, customers: int) -> None:
        self.api = api
        self.admin = admin_token
        self.customer_count = customers
        self.tally: Counter[str] = Counter()  # "made customer", "found customer", ...

    def run(self) -> Counter[str]:
        staff = self.staff()
        self.customers()
        self.catalogue()
        self.leads(staff["sales_rep"])
        self.segment()
        self.campaign()
        self.partners()
        for n, customer in enumerate(company.portal_customers()):
            token = self.portal_customer(customer)
            self.order(n, token, staff)
            if n < len(company.CASES):
                self.case(token, *company.CASES[n])
        return self.tally

    # -- people -----------------------------------------------------------------------------

    def staff(self) -> dict[str, str]:
        """Each role's first account, logged in: role -> access token."""
        tokens: dict[str, str] = {}
        for member in company.STAFF:
            body = {"email": member.email, "password": company.STAFF_PASSWORD,
                    "roles": [member.role], "name": member.name}  # fmt: skip
            self._made_or_found("staff account", self._post("/admin/users", body, self.admin))
            tokens.setdefault(member.role, self.login(member.email, company.STAFF_PASSWORD))
        return tokens

    def customers(self) -> None:
        for customer in company.customers(self.customer_count):
            self._made_or_found("customer", self._post("/customers", customer, self.admin))

    def portal_customer(self, customer: dict[str, str]) -> str:
        self._made_or_found("portal customer", self._post("/portal/register", customer, None))
        return self.login(customer["email"], customer["password"])

    def login(self, username: str, password: str) -> str:
        return login(self.api, username, password)

    # -- sales ------------------------------------------------------------------------------

    def leads(self, rep: str) -> None:
        known = {lead["contact"]["email"] for lead in self._pages("/sales/leads", self.admin)}
        for lead in company.leads():
            if lead["contact"]["email"] in known:
                self.tally["found lead"] += 1
                continue
            _expect(self._post("/sales/leads", lead, rep), 201, "capturing a lead")
            self.tally["made lead"] += 1

    def order(self, n: int, customer_token: str, staff: dict[str, str]) -> None:
        """The customer's order, placed by a rep under a key of its own (sales keeps it: the
        same key again answers the same order), walked on to its target from where it stands."""
        me = self._get("/portal/me", customer_token)
        placed = self.api.post(
            "/api/v1/sales/orders",
            json={"customer_id": me["id"], "title": company.ORDER_TITLES[n]},
            headers={**_auth(staff["sales_rep"]), "Idempotency-Key": f"demo-order-{n}"},
        )
        _expect(placed, 201, "placing an order")
        order_id = placed.json()["id"]
        target = company.ORDER_TARGETS[n]
        tokens = {"customer": customer_token, "rep": staff["sales_rep"], "admin": self.admin}
        for step, path, body, who in ORDER_WORKFLOW[: REACHES[target]]:
            token = tokens[who]
            prefix = "/portal/orders" if who == "customer" else "/sales/orders"
            answer = self._post(f"{prefix}/{order_id}/{path}", body, token)
            if answer.status_code == 409:  # taken on an earlier run: the order is past it
                continue
            _expect(answer, 200, f"taking {step} on order {order_id}")
        order = self._get(f"/sales/orders/{order_id}", staff["sales_rep"])
        if target == "paid":
            for milestone in order.get("milestones", []):
                if not milestone.get("paid_at"):
                    number = milestone["number"]
                    path = f"/sales/orders/{order['id']}/milestones/{number}/pay"
                    paid = self._post(path, {"reference": f"DEMO-{n}-{number}"}, staff["finance"])
                    _expect(paid, 200, f"paying milestone {number}")
        self.tally[f"order {target}"] += 1

    # -- marketing and analytics ------------------------------------------------------------

    def catalogue(self) -> None:
        marketer = self.admin
        for code, name, unit, price in company.PRODUCTS:
            body = {"code": code, "product": {"name": name, "unit": unit, "active": True,
                    "list_price": {"currency_code": "CNY", "amount": price}}}  # fmt: skip
            self._made_or_found("product", self._post("/marketing/products", body, marketer))
        self._once(
            "price list", "/marketing/price-lists", "Standard 2026",
            {"currency": "CNY", "price_list": {
                "name": "Standard 2026", "active": True,
                "rules": [{"description": "500 brochures or more at 3.60", "kind": "fixed_price",
                           "fixed_price": "3.60", "min_quantity": "500",
                           "product_code": "BROCHURE-A4"}]}},
        )  # fmt: skip
        self._once(
            "lead form", "/marketing/forms", "Website enquiry",
            {"form": {"name": "Website enquiry", "active": True,
                      "required_fields": ["name", "email"]}},
        )  # fmt: skip

    def segment(self) -> None:
        rule = {"match": "all", "groups": [{"match": "all", "conditions": [
            {"field": "region", "operator": "eq", "values": ["east"]},
            {"field": "tag", "operator": "has_any", "values": ["vip"]}]}]}  # fmt: skip
        self._once("segment", "/analytics/segments", "East region VIPs",
                   {"name": "East region VIPs", "rule": rule})  # fmt: skip

    def campaign(self) -> None:
        """A draft e-mail campaign to the segment: a marketer schedules and launches it."""
        segment_id = next(
            item["id"]
            for item in self._pages("/analytics/segments", self.admin)
            if item.get("name") == "East region VIPs"
        )
        campaign = {
            "name": company.CAMPAIGN_NAME,
            "channel": "email",
            "segment_id": segment_id,
            "template": company.CAMPAIGN_TEMPLATE,
            "budget": {"currency_code": "CNY", "amount": "5000.00"},
        }
        body = {"campaign": campaign}
        self._once("campaign", "/marketing/campaigns", company.CAMPAIGN_NAME, body)

    # -- partners ---------------------------------------------------------------------------

    def partners(self) -> None:
        for name, city, capabilities, capacity, tier in company.PARTNERS:
            partner = {
                "name": name,
                "capabilities": list(capabilities),
                "capacity": capacity,
                "tier": tier,
                "location": {"country_code": "CN", "city": city},
            }
            self._once("partner", "/partners", name, partner)

    # -- service ----------------------------------------------------------------------------

    def case(self, customer_token: str, kind: str, subject: str, description: str) -> None:
        mine = {case["subject"] for case in self._pages("/portal/cases", customer_token)}
        if subject in mine:
            self.tally["found case"] += 1
            return
        body = {"type": kind, "subject": subject, "description": description}
        _expect(self._post("/portal/cases", body, customer_token), 201, "opening a case")
        self.tally["made case"] += 1

    # -- the API ----------------------------------------------------------------------------

    def _once(self, kind: str, path: str, name: str, body: dict[str, Any]) -> None:
        """Made unless one of that name is listed already."""
        if any(item.get("name") == name for item in self._pages(path, self.admin)):
            self.tally[f"found {kind}"] += 1
            return
        _expect(self._post(path, body, self.admin), 201, f"making the {kind} {name}")
        self.tally[f"made {kind}"] += 1

    def _made_or_found(self, kind: str, response: httpx.Response) -> None:
        if response.status_code == 409:
            self.tally[f"found {kind}"] += 1
            return
        _expect(response, 201, f"making a {kind}")
        self.tally[f"made {kind}"] += 1

    def _post(self, path: str, body: dict[str, Any], token: str | None) -> httpx.Response:
        return self.api.post(f"/api/v1{path}", json=body, headers=_auth(token))

    def _get(self, path: str, token: str) -> dict[str, Any]:
        response = self.api.get(f"/api/v1{path}", headers=_auth(token))
        _expect(response, 200, f"reading {path}")
        answer: dict[str, Any] = response.json()
        return answer

    def _pages(self, path: str, token: str) -> Iterator[dict[str, Any]]:
        page_token = ""
        while True:
            params = {"page_size": "100", **({"page_token": page_token} if page_token else {})}
            response = self.api.get(f"/api/v1{path}", params=params, headers=_auth(token))
            _expect(response, 200, f"listing {path}")
            body = response.json()
            yield from body["items"]
            page_token = body.get("next_page_token") or ""
            if not page_token:
                return


def login(api: httpx.Client, username: str, password: str) -> str:
    """An access token (the OAuth password grant)."""
    response = api.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": username, "password": password},
    )
    _expect(response, 200, f"logging in {username}")
    return str(response.json()["access_token"])


def _auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def _expect(response: httpx.Response, status: int, doing: str) -> None:
    if response.status_code != status:
        raise DemoError(f"{doing}: {response.status_code} {response.text[:300]}")
