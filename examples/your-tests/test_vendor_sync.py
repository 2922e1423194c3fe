from my_integration import sync_vendors  # your code: it reads the OTTIMATE_* variables


def test_a_second_sync_updates_the_vendor_instead_of_adding_one(ottimate_sandbox):
    company = ottimate_sandbox.company_id
    sync_vendors(company, [{"erp_vendor_id": "V-1", "erp_vendor_name": "Test Vendor - Electronics"}])
    sync_vendors(company, [{"erp_vendor_id": "V-1", "erp_vendor_name": "Test Vendor - Electronics Ltd"}])
    with ottimate_sandbox.client() as api:
        listed = api.get("/vendors", params={"ottimate_company_id": company, "limit": 100}).json()["vendors"]
    assert [v["erp_vendor_name"] for v in listed if v["erp_vendor_id"] == "V-1"] == ["Test Vendor - Electronics Ltd"]
