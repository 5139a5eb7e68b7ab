"""Issue 14: the regression test of each "what was found" bullet, bullet → test.

The tests live next to the code they exercise; this file is the index, and checks that every
test it names exists (a renamed or deleted test fails here, so the mapping cannot rot).

Import: what was found
  1. PostgreSQL money is 32-bit ($21,474,836.48 fails the file; the COPY line is not the CSV
     line) — hardening::test_money_beyond_32_bits_is_stored_on_both_databases,
     hardening::test_rejects_carry_the_file_line_not_a_copy_line
  2. 99999999999999999999.00 crashes SQLite (also --dry-run) —
     hardening::test_an_amount_beyond_64_bits_rejects_its_row (parametrized on dry_run)
  3. Accepted silently: 1e15, --5, $1,2,3, 12.345 — hardening::test_malformed_amounts_are_
     rejected_not_guessed; negative duration, 100,000-minute shift, negative base pay, $1e12 ad
     spend — hardening::test_implausible_values_are_rejected_with_the_bound_named
  4. Tracebacks: 9999-12-31, huge duration_minutes — hardening::test_far_dates_and_huge_
     durations_cost_their_row; one bad NDJSON line — hardening::test_a_bad_ndjson_line_costs_
     that_line; a binary file to `anomalies --series` — series::test_binary_and_nul_files_are_
     refused_in_one_line, cli_series::test_binary_file_is_one_line_exit_2_no_traceback
  5. A 10 MB field, a NUL byte on PostgreSQL — hardening::test_a_huge_field_and_a_nul_byte_
     cost_one_row
  6. FHIR folder: binary file, dangling symlink, FIFO, folder named *.json — hardening::test_
     odd_entries_of_a_fhir_folder_are_listed_not_fatal; unterminated quote — hardening::test_an_
     unterminated_quote_is_reported_at_its_line
  7. Concurrent imports both "insert" — hardening::test_two_concurrent_imports_report_truthful_
     counts; a killed run stays running — hardening::test_a_run_whose_process_died_is_marked_
     interrupted, ::test_a_run_of_the_same_table_left_running_is_interrupted; DST-gap
     local_hour — hardening::test_dst_gap_times_shift_forward_with_a_warning
  8. Markdown and terminal do not escape names — briefing_escaping::test_stored_and_cli_
     markdown_render_names_literally, ::test_plain_text_and_email_show_control_characters_as_
     escapes, cli_literal::test_tables_show_hostile_names_literally, ::test_reject_listing_
     shows_the_cell_literally
  9. Unknown --location exit 0; unreachable PostgreSQL tracebacks — cli_scope::test_unknown_
     location_exits_2_with_the_kpis_message, ::test_unreachable_database_is_one_line_naming_
     host_and_port

Detectors: what was found on real exports
 10. Point-of-sale-only practice: empty at-risk list, no message — at_risk_any_history::test_
     purchase_days_are_the_visits_of_a_sales_only_practice, ::test_empty_store_says_why_the_
     list_is_empty; --limit ignored — ::test_all_lists_every_scored_patient_and_limit_is_
     honoured, ::test_cli_all_and_limit_on_a_sales_only_practice; expected_visits < p_return
     — ::test_expected_visits_is_never_below_p_return; make validate vs CLI —
     ::test_validate_and_the_cli_fit_through_one_function
 11. no-show-risk refits per day — no_show_travels::test_a_range_is_scored_with_one_fitted_
     model; reminder_sent ignored — ::test_booking_facts_are_imported_and_unknown_is_not_no;
     mean prediction 4 points off on another clinic — ::test_each_location_is_calibrated_within_
     a_point_on_the_back_test (and bench/second_practice.py); boosting when it back-tests
     better — ::test_boosting_is_chosen_when_the_back_test_says_so; date-only times —
     ::test_date_only_exports_have_hour_unknown
 12. anomalies --series: no options — cli_series::test_threshold_season_and_min_history_reach_
     the_scoring; 6 days before scoring / "not enough history" — series::test_not_enough_
     history_says_what_is_needed, cli_series::test_short_series_says_not_enough_history;
     partial last bucket — series::test_partial_last_day_is_ignored_when_summing_hours,
     cli_series::test_partial_last_day_is_reported_and_ignored
"""

from __future__ import annotations

import importlib

import pytest

MODULES = {
    "hardening": "tests.store.ingest.test_hardening",
    "series": "tests.tools.test_series",
    "cli_series": "tests.clarity.test_cli_series",
    "briefing_escaping": "tests.agent.briefing.test_escaping",
    "cli_literal": "tests.clarity.test_cli_literal",
    "cli_scope": "tests.clarity.test_cli_scope",
    "at_risk_any_history": "tests.tools.test_at_risk_any_history",
    "no_show_travels": "tests.tools.test_no_show_travels",
}

FINDINGS: dict[int, list[str]] = {
    1: [
        "hardening::test_money_beyond_32_bits_is_stored_on_both_databases",
        "hardening::test_rejects_carry_the_file_line_not_a_copy_line",
    ],
    2: ["hardening::test_an_amount_beyond_64_bits_rejects_its_row"],
    3: [
        "hardening::test_malformed_amounts_are_rejected_not_guessed",
        "hardening::test_implausible_values_are_rejected_with_the_bound_named",
    ],
    4: [
        "hardening::test_far_dates_and_huge_durations_cost_their_row",
        "hardening::test_a_bad_ndjson_line_costs_that_line",
        "series::test_binary_and_nul_files_are_refused_in_one_line",
        "cli_series::test_binary_file_is_one_line_exit_2_no_traceback",
    ],
    5: ["hardening::test_a_huge_field_and_a_nul_byte_cost_one_row"],
    6: [
        "hardening::test_odd_entries_of_a_fhir_folder_are_listed_not_fatal",
        "hardening::test_an_unterminated_quote_is_reported_at_its_line",
    ],
    7: [
        "hardening::test_two_concurrent_imports_report_truthful_counts",
        "hardening::test_a_run_whose_process_died_is_marked_interrupted",
        "hardening::test_a_run_of_the_same_table_left_running_is_interrupted",
        "hardening::test_dst_gap_times_shift_forward_with_a_warning",
    ],
    8: [
        "briefing_escaping::test_stored_and_cli_markdown_render_names_literally",
        "briefing_escaping::test_plain_text_and_email_show_control_characters_as_escapes",
        "cli_literal::test_tables_show_hostile_names_literally",
        "cli_literal::test_reject_listing_shows_the_cell_literally",
    ],
    9: [
        "cli_scope::test_unknown_location_exits_2_with_the_kpis_message",
        "cli_scope::test_unreachable_database_is_one_line_naming_host_and_port",
    ],
    10: [
        "at_risk_any_history::test_purchase_days_are_the_visits_of_a_sales_only_practice",
        "at_risk_any_history::test_empty_store_says_why_the_list_is_empty",
        "at_risk_any_history::test_all_lists_every_scored_patient_and_limit_is_honoured",
        "at_risk_any_history::test_cli_all_and_limit_on_a_sales_only_practice",
        "at_risk_any_history::test_expected_visits_is_never_below_p_return",
        "at_risk_any_history::test_validate_and_the_cli_fit_through_one_function",
    ],
    11: [
        "no_show_travels::test_a_range_is_scored_with_one_fitted_model",
        "no_show_travels::test_booking_facts_are_imported_and_unknown_is_not_no",
        "no_show_travels::test_each_location_is_calibrated_within_a_point_on_the_back_test",
        "no_show_travels::test_boosting_is_chosen_when_the_back_test_says_so",
        "no_show_travels::test_date_only_exports_have_hour_unknown",
    ],
    12: [
        "cli_series::test_threshold_season_and_min_history_reach_the_scoring",
        "series::test_not_enough_history_says_what_is_needed",
        "cli_series::test_short_series_says_not_enough_history",
        "series::test_partial_last_day_is_ignored_when_summing_hours",
        "cli_series::test_partial_last_day_is_reported_and_ignored",
    ],
}


@pytest.mark.parametrize("finding", sorted(FINDINGS))
def test_each_finding_has_its_regression_tests(finding: int) -> None:
    for ref in FINDINGS[finding]:
        short, name = ref.split("::")
        module = importlib.import_module(MODULES[short])
        assert callable(getattr(module, name, None)), f"finding {finding}: {ref} is missing"
