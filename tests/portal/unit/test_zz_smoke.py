def test_smoke(client):
    r = client.post("/api/v1/portal/register", json={"email": "a@b.cn", "password": "short", "name": "A", "phone": "+8613800000000", "nickname": "x"})
    print(r.status_code, r.get_json()["errors"])
    doc = client.get("/openapi.json").get_json()
    print(doc["components"]["schemas"]["RegisterBody"]["required"], sorted(doc["components"]["schemas"]["RegisterBody"]["properties"]))
    print([k for k in doc["components"]["schemas"] if "UpdateCustomer" in k])
