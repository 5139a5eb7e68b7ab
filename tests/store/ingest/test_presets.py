"""Every built-in preset on a small real-shaped export, written here, with the nasty cases."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine

from store import tables as t
from store.ingest import ingest_csv
from store.ingest.presets import available_presets
from tests.store.ingest.conftest import NOW, ids, rows, write


def test_all_presets_load_and_map_known_formats() -> None:
    presets = available_presets()
    assert {
        "generic_emr_appointments",
        "generic_emr_patients",
        "generic_emr_sales",
        "square_items",
        "square_customers",
        "payroll_register",
        "meta_ads",
        "google_ads",
    } <= set(presets)


def test_generic_emr_patients(engine: Engine, tmp_path: Path) -> None:
    ingest_csv(engine, "locations", write(tmp_path, "l.csv", "external_id,name\nL1,Austin\n"))
    # BOM, ";" delimiter, a quoted newline in a name, US dates, a bad phone, a duplicate row
    export = (
        "Patient ID;First Name;Last Name;Mobile Phone;Email;DOB;Home Location;Referral Source\n"
        "P-1;Dana;Reyes;(512) 555-0142;DANA@EXAMPLE.COM;07/30/1988;Austin;Instagram Ad\n"
        'P-2;"Mary\nAnn";Smith;555;mary@example.com;1990-01-02;Austin;\n'
        "P-3;Tom;Baker;512.555.0100;;02/30/1990;Austin;\n"
        "P-1;Dana;Reyes;(512) 555-0142;DANA@EXAMPLE.COM;07/30/1988;Austin;Instagram Ad\n"
    )
    path = write(tmp_path, "patients.csv", export, bom=True)
    result = ingest_csv(engine, "patients", path, preset="generic_emr_patients", now=NOW)
    # P-3's birth date 30 February does not exist → rejected at line 5 (P-2 spans lines 3–4)
    assert (result.read, result.inserted, result.rejected, result.skipped) == (4, 2, 1, 1)
    assert result.rejects[0]["line"] == 5 and result.rejects[0]["column"] == "DOB (birth_date)"
    assert dict(result.warnings_by_reason) == {"invalid_phone": 1}
    stored = {r["external_id"]: r for r in rows(engine, t.patient)}
    dana = stored["P-1"]
    assert (dana["phone_e164"], dana["email"], dana["birth_date"]) == (
        "+15125550142",
        "dana@example.com",
        date(1988, 7, 30),
    )
    assert dana["acquisition_channel"] == "instagram_ad" and dana["source"] == "emr"
    assert stored["P-2"]["first_name"] == "Mary\nAnn" and stored["P-2"]["phone_e164"] is None


EMR_APPTS = (
    "Appt ID,Appt Date,Start Time,Duration (min),Status,Patient ID,Provider,Service,Location\n"
    "9001,03/02/2026,11:30 PM,30,Checked Out,PT1,Maya Lopez,Botox,Austin Domain\n"
    "9002,2026-03-03,9:00 AM,45,NS,PT1,Lopez, Maya,Botox,Austin Domain\n"
    "9003,03/04/2026,10:00 AM,60,no-show,PT2,Sam Okafor,HydraFacial,Brooklyn Heights\n"
    "9004,03/05/2026,10:00 AM,60,Late Cx,PT2,Dr. Nobody,HydraFacial,Brooklyn Heights\n"
    "9005,12/24/2026,10:00 AM,60,Checked Out,PT2,Sam Okafor,HydraFacial,Brooklyn Heights\n"
    "9006,12/24/2026,10:00 AM,60,Confirmed,PT2,Sam Okafor,HydraFacial,Brooklyn Heights\n"
)


def test_generic_emr_appointments(catalog: Engine, tmp_path: Path) -> None:
    # References to the catalog imported with source "import": this export is its own source.
    export = EMR_APPTS.replace("Lopez, Maya", '"Lopez, Maya"')
    path = write(tmp_path, "appts.csv", export)
    result = ingest_csv(
        catalog, "appointments", path, preset="generic_emr_appointments", source="import", now=NOW
    )
    # 9004: unknown provider; 9005: completed in the future
    assert (result.inserted, result.rejected) == (4, 2), result.rejects
    assert dict(result.rejected_by_reason) == {"unknown_provider": 1, "future_date": 1}
    stored = {r["external_id"]: r for r in rows(catalog, t.appointment)}
    assert [stored[k]["status"] for k in ("9001", "9002", "9003", "9006")] == [
        "completed",
        "no_show",
        "no_show",
        "booked",
    ]
    # 11:30 PM Chicago time on 2 March is 05:30 UTC on 3 March but local day 2 March
    assert stored["9001"]["local_date"] == date(2026, 3, 2)
    assert stored["9001"]["start_at"] == datetime(2026, 3, 3, 5, 30, tzinfo=UTC)
    # "Maya Lopez" and "Lopez, Maya" are the same provider, found by name
    provider = ids(catalog, t.provider)["PR1"]
    assert stored["9001"]["provider_id"] == stored["9002"]["provider_id"] == provider


def test_generic_emr_sales_refunds_in_parentheses(catalog: Engine, tmp_path: Path) -> None:
    export = (
        "Line ID,Invoice Date,Patient ID,Provider,Item,Type,Qty,Price,Discount,Amount,Location\n"
        'L-1,03/02/2026 10:15 AM,PT1,Maya Lopez,Botox 20u,Treatment,1,"$450.00",$45.00,$405.00,L1\n'
        "L-2,03/09/2026,PT1,Maya Lopez,Refund Botox,Refund,1,,,(405.00),L1\n"
        "L-3,03/02/2026,PT1,Maya Lopez,Serum,Retail,2,80.00,0,80.00,L1\n"
    )
    path = write(tmp_path, "sales.csv", export)
    result = ingest_csv(
        catalog, "sales", path, preset="generic_emr_sales", source="import", now=NOW
    )
    assert (result.inserted, result.rejected) == (3, 0), result.rejects
    stored = {r["external_id"]: r for r in rows(catalog, t.sale)}
    assert (stored["L-1"]["gross_cents"], stored["L-1"]["net_cents"]) == (45000, 40500)
    assert (stored["L-2"]["kind"], stored["L-2"]["refund_cents"]) == ("refund", 40500)
    assert stored["L-2"]["net_cents"] == -40500
    # "Retail" → product; no service, so no cost of goods is assumed
    assert (stored["L-3"]["kind"], stored["L-3"]["quantity"], stored["L-3"]["cogs_cents"]) == (
        "product",
        2.0,
        0,
    )


SQUARE_CUSTOMERS = (
    "Square Customer ID,First Name,Last Name,Email Address,Phone Number,Birthday,"
    "Email Subscription Status,Creation Date\n"
    # same phone as EMR PT1 → merged; fills PT1's empty created_at
    "SQ-A,Dana,Reyes,,+1 512-555-0142,,subscribed,03/01/2024 10:00\n"
    "SQ-B,Lee,Chen,LEE@example.com,,,unsubscribed,\n"  # same email as PT2 → merged, no news
    "SQ-C,Robin,Fox,robin@example.com,,,,\n"  # nobody → new patient
)


def test_square_customers_then_square_items(catalog: Engine, tmp_path: Path) -> None:
    customers = write(tmp_path, "customers.csv", SQUARE_CUSTOMERS)
    result = ingest_csv(catalog, "patients", customers, preset="square_customers", now=NOW)
    assert (result.inserted, result.matched, result.updated, result.unchanged) == (1, 2, 1, 1)
    patients = ids(catalog, t.patient)
    dana = {r["external_id"]: r for r in rows(catalog, t.patient)}["PT1"]
    # The Square row has no location: 10:00 in the default zone (New York, EST = UTC−5)
    assert dana["created_at"] == datetime(2024, 3, 1, 15, 0, tzinfo=UTC)
    assert dana["consent_email_marketing"] is False  # the EMR's consent is not overwritten
    assert set(patients) == {"PT1", "PT2", "SQ-C"}  # no duplicate Dana or Lee
    # Square's purchases now resolve to the EMR patients through the links.
    items = (
        "Date,Time,Time Zone,Category,Item,Qty,Gross Sales,Discounts,Net Sales,"
        "Transaction ID,Event Type,Location,Customer ID,Itemization Type\n"
        "03/02/2026,22:45:10,Pacific Time (US & Canada),Skincare,SPF 50,1,$48.00,$0.00,$48.00,"
        "T1,Payment,Austin Domain,SQ-A,Physical Item\n"
        '03/02/2026,10:00:00,Central Time (US & Canada),Toxin,Botox,1,"$1,000.00",-$100.00,'
        "$900.00,T2,Payment,Austin Domain,SQ-B,Service\n"
        "03/03/2026,11:00:00,Central Time (US & Canada),Toxin,Botox,1,-$900.00,$0.00,-$900.00,"
        "T2,Refund,Austin Domain,SQ-B,Service\n"
        "03/03/2026,11:00:00,Central Time (US & Canada),Toxin,Botox,1,$10.00,$0.00,$10.00,"
        "T3,Payment,Austin Domain,SQ-Z,Service\n"
    )
    sold = ingest_csv(
        catalog, "sales", write(tmp_path, "items.csv", items), preset="square_items", now=NOW
    )
    assert (sold.inserted, sold.rejected) == (3, 1)
    assert sold.rejects[0]["code"] == "unknown_patient" and sold.rejects[0]["line"] == 5
    stored = {r["external_id"]: r for r in rows(catalog, t.sale)}
    spf = stored["T1:SPF 50:Payment"]
    assert spf["patient_id"] == patients["PT1"] and spf["kind"] == "product"
    # 22:45 Pacific on 2 March = 06:45 UTC on 3 March = 00:45 in Austin on 3 March:
    # the sale belongs to the Austin location's local day, 3 March.
    assert spf["paid_at"] == datetime(2026, 3, 3, 6, 45, 10, tzinfo=UTC)
    assert spf["local_date"] == date(2026, 3, 3)
    botox = stored["T2:Botox:Payment"]
    assert (botox["gross_cents"], botox["discount_cents"], botox["net_cents"]) == (
        100000,
        10000,
        90000,
    )
    refund = stored["T2:Botox:Refund"]
    assert (refund["kind"], refund["refund_cents"], refund["net_cents"]) == (
        "refund",
        90000,
        -90000,
    )
    assert refund["patient_id"] == patients["PT2"]


def test_payroll_register_matches_providers_by_name_then_by_id(
    catalog: Engine, tmp_path: Path
) -> None:
    export = (
        "Employee ID,Employee,Pay Period Start,Pay Period End,Regular Earnings,Commission,"
        "Bonus,Employer Benefits\n"
        'G-7,"Lopez, Maya",03/01/2026,03/15/2026,"$3,200.00",$1450.50,0,$410.00\n'
        "G-8,Sam Okafor,03/01/2026,03/15/2026,4000,0,500,300\n"
        "G-9,Pat Unknown,03/01/2026,03/15/2026,100,0,0,0\n"
    )
    path = write(tmp_path, "payroll.csv", export)
    first = ingest_csv(catalog, "compensation", path, preset="payroll_register", now=NOW)
    assert (first.inserted, first.rejected) == (2, 1)
    assert first.rejects[0]["code"] == "unknown_provider"
    stored = {r["external_id"]: r for r in rows(catalog, t.compensation)}
    maya = stored["G-7:2026-03-01"]
    assert maya["provider_id"] == ids(catalog, t.provider)["PR1"]
    assert (maya["base_cents"], maya["commission_cents"], maya["benefits_cents"]) == (
        320000,
        145050,
        41000,
    )
    # Next period the register spells the name differently; the employee id is linked now.
    later = export.replace('"Lopez, Maya"', "M. Lopez").replace(
        "03/01/2026,03/15/2026", "03/16/2026,03/31/2026"
    )
    second = ingest_csv(
        catalog,
        "compensation",
        write(tmp_path, "p2.csv", later),
        preset="payroll_register",
        now=NOW,
    )
    assert second.inserted == 2
    assert rows(catalog, t.compensation)[-1]["provider_id"] in ids(catalog, t.provider).values()


def test_meta_and_google_ads_spend(catalog: Engine, tmp_path: Path) -> None:
    meta = (
        "Reporting starts,Reporting ends,Campaign name,Amount spent (USD)\n"
        "2026-03-01,2026-03-01,Spring Botox,125.50\n"
        '2026-03-02,2026-03-02,Spring Botox,"1,010.00"\n'
        "2026-07-02,2026-07-02,Summer,10.00\n"  # in the future
    )
    result = ingest_csv(
        catalog,
        "marketing_spend",
        write(tmp_path, "meta.csv", meta),
        preset="meta_ads",
        location="L1",
        now=NOW,
    )
    assert (result.inserted, result.rejected) == (2, 1)
    google = (
        "Campaign performance report\n"
        '"March 1, 2026 - March 31, 2026"\n'
        "Day,Campaign,Cost,Currency code\n"
        "Mar 1, 2026,Brand,40.00,USD\n"
    ).replace("Mar 1, 2026,", '"Mar 1, 2026",')
    got = ingest_csv(
        catalog,
        "marketing_spend",
        write(tmp_path, "google.csv", google),
        preset="google_ads",
        location="Austin Domain",
        now=NOW,
    )
    assert (got.inserted, got.rejected) == (1, 0), got.rejects
    spend = rows(catalog, t.marketing_spend)
    by_channel: dict[str, int] = {}
    for row in spend:
        assert row["month"] == date(2026, 3, 1)
        by_channel[row["channel"]] = by_channel.get(row["channel"], 0) + row["amount_cents"]
    # Meta: 125.50 + 1,010.00 = 1,135.50 in March; Google: 40.00
    assert by_channel == {"meta_ads": 113550, "google_ads": 4000}
