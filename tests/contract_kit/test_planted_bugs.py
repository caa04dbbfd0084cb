"""The suite has teeth: each planted bug in a sandbox variant fails the check named for it.

``broken_suites.py`` opts every variant of ``broken_sandbox.py`` into the suite; one pytest
subprocess runs the checks that should catch the bugs and writes the kit's JSON report, and each
case below asserts that its check failed, for the right reason.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
SUITES = HERE / "broken_suites.py"

# variant class -> {failing check id: a phrase its failure message must contain}
CAUGHT_BY: dict[str, dict[str, str]] = {
    "TestBlindTerminateRetry": {
        "test_fault_matrix[terminate-timeout-after-send]": "the mutation was sent 2 times",
        "test_fault_matrix[terminate-connection-reset]": "the mutation was sent 2 times",
    },
    "TestUnknownStateAsInProgress": {
        "test_unmapped_vendor_state_is_unknown": "unmapped states must be `unknown`",
    },
    "TestErrorIn200IsSuccess": {
        f"test_fault_matrix[{verb}-error-in-200]": "reported `applied` but the vendor's session"
        for verb in ("pause", "resume", "terminate", "revoke")
    },
    "TestIgnoresRetryAfter": {
        f"test_fault_matrix[{verb}-throttled-retry-after]": "asked to wait 1.5 s (Retry-After)"
        for verb in ("pause", "resume", "terminate", "revoke")
    },
    "TestLeaksSecretInErrors": {
        "test_no_secret_in_logs_errors_or_reprs": "a secret leaked into an error or a repr",
    },
    "TestPagesPastTheLastPage": {
        "test_pages_return_each_session_once": "handed out a page token past the last page",
    },
    "TestClaimsNativePauseButRaises": {
        "test_verb_applies[pause-from-in_progress]": "pause is declared native but raised "
        "OPERATION.UNSUPPORTED",
    },
    "TestManualPauseStillCallsTheVendor": {
        "test_unsupported_verb_is_refused_before_any_vendor_call[pause]": "pause is declared "
        "manual; InterviewAdapter.perform must raise OPERATION.UNSUPPORTED",
    },
    "TestTokenPerCall": {
        "test_concurrent_first_calls_fetch_one_token": "(single flight)",
        "test_concurrent_calls_after_expiry_refresh_once": "expected exactly 1",
    },
}
CAUGHT_BY.update(
    {
        "TestReadBackAlwaysConfirms": {
            f"test_fault_matrix[{verb}-{fault}]": "reported `applied` but the vendor's session"
            for verb in ("pause", "terminate")
            for fault in ("timeout-before-acting", "reset-before-acting")
        },
        "TestGatewayTimeoutIsAFiveHundred": {
            "test_declared_ambiguous_answer_is_read_back[pause-after-acting]": "the mutation was "
            "sent 2 times",
        },
        "TestReadsOnlyRetryAfter": {
            "test_declared_throttle_is_waited_out[pause-once]": "the vendor asked to wait 2.5 s",
        },
        "TestIgnoresDingTalksSecond": {
            "test_declared_throttle_is_waited_out[pause-for-its-window]": "the vendor asked to "
            "wait 1 s",
        },
        "TestTrustsItsFirstRead": {
            "test_session_changes_between_read_and_write[pause]": "from_state='in_progress'",
        },
        "TestZipsBatchResults": {
            "test_mixed_batch_has_one_result_per_item_in_order[terminate]": "never by position",
        },
        "TestOwnersFromTheWrongField": {
            "test_every_field_matches_the_vendor[position.owner_ids]": "ownership decides",
        },
        "TestDeadlineInTheWrongZone": {
            "test_every_field_matches_the_vendor[resume_deadline]": "the account's time zone",
        },
        "TestFreshKeyPerCall": {
            "test_replaying_a_key_after_the_session_moved_on_changes_nothing[pause]": "applied "
            "it a second time",
        },
        "TestFiltersOnlyOnItsSide": {
            "test_server_side_filters_reach_the_vendor[state]": "never sent it to the vendor",
        },
        "TestDropsTheResumeDeadline": {
            "test_pause_keeps_the_resume_deadline": "send resume_deadline to the vendor",
        },
        "TestQuotesTheTokenRequest": {
            "test_a_failing_token_request_leaks_no_secret[server_error]": "a secret leaked into "
            "the error of a failed token request",
        },
        "TestQuotesItsTokenToAScaffoldDouble": {
            "test_no_secret_in_logs_errors_or_reprs": "a secret leaked into an error or a repr",
        },
        "TestBatchWithoutReadBack": {
            "test_native_batch_after_an_ambiguous_failure[terminate-timeout-after-send]": "items "
            "failed",
        },
        "TestBatchOneCallPerItem": {
            "test_native_batch_sends_one_call_per_chunk[terminate]": "took 5 mutating requests",
        },
        "TestConfirmsWithAFragileRead": {
            "test_a_fault_on_any_request_of_an_operation[pause-5xx-once]": "must be retried",
        },
        "TestForgetsTheRequestId": {
            "test_errors_and_results_name_the_vendors_request_id": "an applied verb: the vendor "
            "answered with request ids",
        },
        "TestSummarisesVendorErrors": {
            "test_vendor_errors_reach_the_operator_intact": "so support can look it up",
        },
        "TestTrustsRepeatedPushes": {
            "test_replayed_push_is_refused": "sent a second time, was accepted",
        },
        "TestPushTimeInChinaTime": {
            "test_signed_push_is_parsed": "read the pushed time in the vendor's unit and zone",
        },
        "TestBatchStatesFromTheVerb": {
            "test_mixed_batch_has_one_result_per_item_in_order[pause]": "fill both from the "
            "vendor's per-item answer",
        },
        "TestFreshBatchKeyPerCall": {
            "test_replaying_a_batch_key_after_the_sessions_moved_on_changes_nothing[pause]": (
                "the vendor applied it again"
            ),
        },
        "TestServesAHundredByDefault": {
            "test_a_page_holds_fifty_at_most_by_default": "with no page_size gave a page of",
        },
        "TestRefusesIdsOutsideItsFormat": {
            "test_an_id_in_no_format_of_the_vendors_is_not_found": "is not a sandbox session id",
        },
        "TestFailsTheChunkForAForeignId": {
            "test_an_id_in_no_format_of_the_vendors_fails_alone[pause]": "fails alone, as not "
            "found",
        },
        "TestForgetsItemKeysAfterAReadBack": {
            "test_native_batch_after_an_ambiguous_failure[pause-timeout-after-send]": "give each "
            "item a key derived from the batch's",
        },
        "TestTakesAnAlreadyListForApplied": {
            "test_batch_meets_sessions_that_moved_on[pause]": "by another hand while the batch ran",
        },
        "TestForgetsTheJobOfFailedItems": {
            "test_batch_meets_sessions_that_moved_on[pause]": "names no request id",
        },
        "TestTimesIsvTokensOnTheWallClock": {
            "test_every_configuration_reads_changes_and_renews": "time this configuration's tokens",
        },
        "TestTakesTheVendorsNoOpForApplied": {
            "test_another_hand_gets_there_first[pause]": "but the vendor changed nothing for it",
        },
        "TestNamesNoStateForALateResume": {
            "test_batch_meets_sessions_that_moved_on[resume]": "names (from_state, verb)",
        },
        "TestEndsAListingWithoutItsToken": {
            "test_a_garbled_page_is_named": "was taken for a page",
        },
        "TestIgnoresItsPushSecrets": {
            "test_an_account_set_up_for_pushes_takes_them": "declares push_events=False",
        },
        "TestNamesTheJobRecordNotItsField": {
            "test_a_batch_whose_outcome_the_vendor_does_not_tell[pause]": "the vendor's record "
            "is wrong at",
        },
        "TestSendsNoneForAMissingNote": {
            "test_a_reason_without_a_note_is_recorded_as_given[pause]": "no note where the "
            "operator gave none",
        },
        "TestCachesJobsOnTheWallClock": {
            "test_a_change_of_owners_reaches_a_later_read": "expire what it caches on",
        },
        "TestSaysNothingOfAnUnreadableBody": {
            "test_forged_or_garbled_push_is_refused": "a push whose body is garbled: its message",
        },
        "TestForgetsTheRequestIdOfABrokenPage": {
            "test_a_garbled_page_is_named": "the protocol error names no request id",
        },
        "TestTakesTheLifetimeForMinutes": {
            "test_a_token_past_its_lifetime_is_renewed_before_use": "a day later, a read sent "
            "a call twice",
        },
        "TestPassesAnyPageSize": {
            "test_page_sizes_at_the_edges[10000]": "clamp the page size",
        },
        "TestBlamesItselfForTheVendorsFailure": {
            "test_a_native_chunk_names_each_item_and_the_vendors_failure[pause]": "fail each "
            "item with the vendor's error",
        },
        "TestOneKeyForEveryItem": {
            "test_a_native_chunk_names_each_item_and_the_vendors_failure[pause]": "share an "
            "idempotency key",
        },
        "TestForgetsTheBatchRequestId": {
            "test_errors_and_results_name_the_vendors_request_id": "an applied batch item",
        },
        "TestPassesOnTheBareRefusal": {
            "test_mixed_batch_has_one_result_per_item_in_order[pause]": "the state the vendor "
            "holds and the verb",
        },
        "TestFetchesTokensAsWrites": {
            "test_a_token_request_lost_on_the_way_back_is_retried[timeout_after_send]": "send "
            "the token request with mutating=False",
        },
        "TestFailsItemsWithoutTheRequestId": {
            "test_a_mixed_native_chunk_answers_each_item_under_its_own_key[terminate]": "names "
            "no request id",
        },
        "TestTakesAnUnfinishedJobForAnOutage": {
            "test_a_batch_whose_outcome_the_vendor_does_not_tell[pause]": "must not be retried "
            "blind",
        },
        "TestBlamesTheVendorForABadPageToken": {
            "test_a_page_token_it_never_handed_out_is_the_callers_mistake": "it is the caller's "
            "mistake",
        },
        "TestListsAsIfItWrote": {
            "test_a_read_lost_on_the_way_back_is_sent_again[timeout_after_send]": "a read is safe "
            "to send again",
        },
        "TestConfirmsWithoutTheState": {
            "test_fault_matrix[pause-timeout-after-send]": "the result confirmed by the read-back",
        },
        "TestTakesSessionsItCannotReadForMissing": {
            "test_the_vendor_going_down_at_any_request_of_a_chunk[pause]": "the vendor was "
            "down, say so",
        },
        "TestNamesTheRecordNotTheField": {
            "test_a_garbled_field_is_named": "the protocol error names field 'session'",
        },
        "TestLoadsAnAppSecretItCannotUse": {
            "test_an_unusable_configuration_is_refused_when_built": "an account with a mangled "
            "app secret was accepted",
        },
        "TestTakesAnOldDuplicateForAlreadyThere": {
            "test_replaying_a_key_a_day_later_changes_nothing[terminate]": "the operation under "
            "this key was applied",
        },
        "TestFailsWhatTheAnswerLeftOut": {
            "test_items_the_vendors_answer_leaves_out[terminate]": "read the unmentioned "
            "sessions back",
        },
        "TestTakesTheUnmentionedForMissing": {
            "test_items_the_vendors_answer_leaves_out[revoke]": "expected failed "
            "SESSION.INVALID_TRANSITION, got failed SESSION.NOT_FOUND",
        },
        "TestReadsBackWhatTheAnswerSaid": {
            "test_a_mixed_native_chunk_answers_each_item_under_its_own_key[pause]": "read back "
            "only what the answer leaves unsaid",
        },
        "TestLosesTheChunkWhenAReadBackFails": {
            "test_the_read_back_of_an_item_left_out_fails[pause]": "keep the results the vendor "
            "gave for the others",
        },
        "TestSendsAsFastAsItCan": {
            "test_a_burst_of_reads_is_paced_under_the_vendors_limit": "pace calls with",
        },
        "TestSuiteAppAsInternalApp": {
            "test_every_configuration_reads_changes_and_renews": "invalidClientIdOrSecret",
        },
        "TestNamesAValueItNeverHad": {
            "test_get_missing_session_is_not_found": "which shows a missing value",
        },
        "TestFailedItemsUnderTheChunksKey": {
            "test_a_mixed_native_chunk_answers_each_item_under_its_own_key[pause]": "share an "
            "idempotency key",
        },
        "TestRefusesBatchItemsFromItsFirstRead": {
            "test_batch_meets_sessions_that_moved_on[terminate]": "not the state the vendor "
            "holds now",
        },
        "TestTakesAnUnfinishedJobForDone": {
            "test_a_batch_whose_outcome_the_vendor_does_not_tell[terminate]": "but the vendor has",
        },
        "TestRefusesAWholeBlockOfPadding": {
            "test_pushes_of_every_length_are_parsed": "bytes longer was refused",
        },
        "TestIgnoresTheUrlCheck": {
            "test_the_vendors_url_check_is_answered": "the vendor's URL check became events []",
        },
        "TestSendsOnlyTheReasonCode": {
            "test_verb_applies[pause-from-in_progress]": "without its note",
        },
        "TestReportsNoStates": {
            "test_verb_applies[terminate-from-in_progress]": "records the states the change",
        },
        "TestRefusesPushesWithoutSayingWhere": {
            "test_replayed_push_is_refused": "pass account= to the error",
        },
        "TestKnowsOnlyTheNewQueryNames": {
            "test_pushes_in_the_vendors_other_shapes_are_parsed": "older query names was refused",
        },
        "TestCutsTheEndToWholeSeconds": {
            "test_filter_agrees_with_the_reference[start_to-within-a-second]": "missed 1 that do",
        },
        "TestDropsTheVendorsAdvice": {
            "test_vendor_errors_reach_the_operator_intact": "but the error gives no hint",
        },
        "TestRestoresWithoutReadingBack": {
            "test_restore_after_an_ambiguous_failure[timeout-after-send]": "a restore under",
        },
        "TestLogsForNobody": {
            "test_log_records_name_the_account": "names account 'sandbox'",
        },
        "TestResendsWhatTheVendorCallsADuplicate": {
            "test_replaying_a_key_a_day_later_changes_nothing[terminate]": "a second time",
        },
        "TestAlreadyDoneUnderNoKey": {
            "test_verb_on_target_state_is_already_in_state[pause]": "already done: the result",
        },
        "TestMasksAMissingPhone": {
            "test_missing_optional_fields_stay_missing[candidate.masked_phone]": "a session the "
            "vendor holds few optional fields of",
        },
        "TestKeepsOnlyTheMaskedName": {
            "test_every_field_matches_the_vendor[candidate.full_name]": "keep the unmasked name",
        },
        "TestDropsTheVendorsExtras": {
            "test_vendor_data_is_what_the_vendor_sent": "get_session: vendor_data of",
        },
        "TestTakesAChangeWithoutItsStatus": {
            "test_a_push_wrong_inside_is_refused_naming_what": "without its status was accepted",
        },
        "TestRefillingBucket": {
            "test_the_double_is_never_more_lenient_than_its_limit": "never in a bucket",
        },
        "TestIgnoresTheStateOverride": {
            "test_unmapped_vendor_state_is_unknown": "the double ignores "
            "WorldSession.vendor_state_override",
        },
    }
)
# the variants must keep passing a check that does not concern their bug (the suite is precise)
STILL_PASSES: dict[str, str] = {
    "TestBlindTerminateRetry": "test_fault_matrix[pause-timeout-after-send]",
    "TestIgnoresRetryAfter": "test_fault_matrix[pause-5xx-once]",
    "TestErrorIn200IsSuccess": "test_fault_matrix[pause-5xx-once]",
    "TestClaimsNativePauseButRaises": "test_verb_applies[terminate-from-in_progress]",
    "TestManualPauseStillCallsTheVendor": "test_verb_applies[resume-from-paused]",
    # the older checks miss each newer bug: that is what the newer check is for
    "TestReadBackAlwaysConfirms": "test_fault_matrix[pause-timeout-after-send]",
    "TestGatewayTimeoutIsAFiveHundred": "test_fault_matrix[pause-5xx-once]",
    "TestReadsOnlyRetryAfter": "test_fault_matrix[pause-throttled-retry-after]",
    "TestIgnoresDingTalksSecond": "test_fault_matrix[pause-throttled-no-retry-after]",
    "TestTrustsItsFirstRead": "test_verb_from_wrong_state_is_refused[pause-from-completed]",
    "TestOwnersFromTheWrongField": "test_personal_data_is_masked",
    "TestFreshKeyPerCall": "test_repeating_an_operation_changes_the_vendor_once[pause]",
    "TestFiltersOnlyOnItsSide": "test_filter_agrees_with_the_reference[position]",
    "TestDropsTheResumeDeadline": "test_verb_applies[pause-from-in_progress]",
    "TestQuotesTheTokenRequest": "test_no_secret_in_logs_errors_or_reprs",
    "TestBatchWithoutReadBack": "test_batch_across_chunks_applies_each_item_once[terminate]",
    "TestBatchOneCallPerItem": "test_mixed_batch_has_one_result_per_item_in_order[terminate]",
    "TestConfirmsWithAFragileRead": "test_fault_matrix[pause-5xx-once]",
    "TestForgetsTheRequestId": "test_verb_applies[terminate-from-in_progress]",
    "TestSummarisesVendorErrors": "test_persistent_5xx_on_a_read_is_unavailable",
    "TestTrustsRepeatedPushes": "test_forged_or_garbled_push_is_refused",
    "TestPushTimeInChinaTime": "test_forged_or_garbled_push_is_refused",
    "TestBatchStatesFromTheVerb": "test_batch_across_chunks_applies_each_item_once[pause]",
    "TestFreshBatchKeyPerCall": "test_batch_across_chunks_applies_each_item_once[pause]",
    "TestTakesTheLifetimeForMinutes": "test_concurrent_calls_after_expiry_refresh_once",
    "TestPassesAnyPageSize": "test_pages_return_each_session_once",
    "TestBlamesItselfForTheVendorsFailure": "test_a_fault_on_any_request_of_a_batch[pause]",
    "TestOneKeyForEveryItem": "test_mixed_batch_has_one_result_per_item_in_order[pause]",
    "TestForgetsTheBatchRequestId": "test_mixed_batch_has_one_result_per_item_in_order[pause]",
    "TestPassesOnTheBareRefusal": "test_batch_across_chunks_applies_each_item_once[pause]",
    "TestFailsWhatTheAnswerLeftOut": "test_native_batch_after_an_ambiguous_failure[terminate-"
    "timeout-after-send]",
    "TestTakesTheUnmentionedForMissing": "test_native_batch_after_an_ambiguous_failure[revoke-"
    "timeout-after-send]",
    "TestReadsBackWhatTheAnswerSaid": "test_mixed_batch_has_one_result_per_item_in_order[pause]",
    "TestLosesTheChunkWhenAReadBackFails": "test_items_the_vendors_answer_leaves_out[pause]",
    "TestTakesAChangeWithoutItsStatus": "test_signed_push_is_parsed",
    "TestFailsItemsWithoutTheRequestId": "test_errors_and_results_name_the_vendors_request_id",
    "TestTakesAnUnfinishedJobForAnOutage": "test_native_batch_after_an_ambiguous_failure["
    "pause-timeout-after-send]",
    "TestBlamesTheVendorForABadPageToken": "test_pages_return_each_session_once",
    "TestListsAsIfItWrote": "test_pages_return_each_session_once",
    "TestConfirmsWithoutTheState": "test_fault_matrix[pause-5xx-once]",
    "TestTakesSessionsItCannotReadForMissing": "test_a_fault_on_any_request_of_a_batch[pause]",
    "TestNamesTheRecordNotTheField": "test_get_missing_session_is_not_found",
    "TestLoadsAnAppSecretItCannotUse": "test_every_configuration_reads_changes_and_renews",
    "TestTakesAnOldDuplicateForAlreadyThere": "test_replaying_a_key_after_the_session_moved_on_"
    "changes_nothing[terminate]",
    "TestSendsAsFastAsItCan": "test_fault_matrix[pause-throttled-no-retry-after]",
    "TestSuiteAppAsInternalApp": "test_concurrent_first_calls_fetch_one_token",
    "TestNamesAValueItNeverHad": "test_get_session_maps_the_vendor_state[paused]",
    "TestFailedItemsUnderTheChunksKey": "test_mixed_batch_has_one_result_per_item_in_order[pause]",
    "TestRefusesBatchItemsFromItsFirstRead": "test_mixed_batch_has_one_result_per_item_in_order["
    "pause]",
    "TestTakesAnUnfinishedJobForDone": "test_native_batch_after_an_ambiguous_failure[terminate-"
    "timeout-after-send]",
    "TestRefusesAWholeBlockOfPadding": "test_signed_push_is_parsed",
    "TestIgnoresTheUrlCheck": "test_signed_push_is_parsed",
    "TestSendsOnlyTheReasonCode": "test_mixed_batch_has_one_result_per_item_in_order[pause]",
    "TestReportsNoStates": "test_pause_keeps_the_resume_deadline",
    "TestRefusesPushesWithoutSayingWhere": "test_signed_push_is_parsed",
    "TestKnowsOnlyTheNewQueryNames": "test_signed_push_is_parsed",
    "TestCutsTheEndToWholeSeconds": "test_filter_agrees_with_the_reference[start_to]",
    "TestDropsTheVendorsAdvice": "test_persistent_5xx_on_a_read_is_unavailable",
    "TestRestoresWithoutReadingBack": "test_restore_when_declared",
    "TestLogsForNobody": "test_no_secret_in_logs_errors_or_reprs",
    "TestResendsWhatTheVendorCallsADuplicate": "test_replaying_a_key_after_the_session_moved_on_"
    "changes_nothing[terminate]",
    "TestAlreadyDoneUnderNoKey": "test_verb_applies[pause-from-in_progress]",
    "TestMasksAMissingPhone": "test_every_field_matches_the_vendor[candidate.masked_phone]",
    "TestKeepsOnlyTheMaskedName": "test_personal_data_is_masked",
    "TestDropsTheVendorsExtras": "test_every_field_matches_the_vendor[state]",
    "TestFetchesTokensAsWrites": (
        "test_a_token_request_lost_on_the_way_back_is_retried[server_error]"
    ),
    "TestServesAHundredByDefault": "test_pages_return_each_session_once",
    "TestRefusesIdsOutsideItsFormat": "test_get_missing_session_is_not_found",
    "TestFailsTheChunkForAForeignId": "test_mixed_batch_has_one_result_per_item_in_order[pause]",
    "TestForgetsItemKeysAfterAReadBack": "test_mixed_batch_has_one_result_per_item_in_order[pause]",
    "TestTakesAnAlreadyListForApplied": "test_mixed_batch_has_one_result_per_item_in_order[pause]",
    "TestForgetsTheJobOfFailedItems": "test_mixed_batch_has_one_result_per_item_in_order[pause]",
    "TestTimesIsvTokensOnTheWallClock": "test_a_token_past_its_lifetime_is_renewed_before_use",
    "TestTakesTheVendorsNoOpForApplied": "test_verb_applies[pause-from-in_progress]",
    "TestNamesNoStateForALateResume": "test_mixed_batch_has_one_result_per_item_in_order[resume]",
    "TestEndsAListingWithoutItsToken": "test_pages_return_each_session_once",
    "TestIgnoresItsPushSecrets": "test_declared_features_are_implemented",
    "TestNamesTheJobRecordNotItsField": "test_native_batch_after_an_ambiguous_failure[pause-"
    "timeout-after-send]",
    "TestSendsNoneForAMissingNote": "test_verb_applies[pause-from-in_progress]",
    "TestCachesJobsOnTheWallClock": "test_every_field_matches_the_vendor[position.owner_ids]",
    "TestSaysNothingOfAnUnreadableBody": "test_signed_push_is_parsed",
    "TestForgetsTheRequestIdOfABrokenPage": "test_pages_return_each_session_once",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Run the relevant checks of every variant once; nodeid -> {outcome, detail}."""
    out = tmp_path_factory.mktemp("planted") / "report.jsonl"
    checks = [(cls, check) for cls, caught in CAUGHT_BY.items() for check in caught]
    checks += list(STILL_PASSES.items())
    functions = {f"{cls}::{check.split('[', 1)[0]}" for cls, check in checks}
    selected = [f"{SUITES.relative_to(ROOT)}::{f}" for f in sorted(functions)]
    command = [sys.executable, "-m", "pytest", *selected, "-q", "-p", "no:cacheprovider"]
    command.append(f"--interlock-contract-report={out}")
    completed = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        command, cwd=ROOT, capture_output=True, text=True, timeout=240, check=False
    )
    assert out.exists(), f"the suite did not run:\n{completed.stdout}\n{completed.stderr}"
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    return {line["nodeid"].split("::", 1)[1]: line for line in lines}


CASES = [
    pytest.param(cls, check, phrase, id=f"{cls.removeprefix('Test')}-{check}")
    for cls, checks in CAUGHT_BY.items()
    for check, phrase in checks.items()
]


@pytest.mark.parametrize(("variant", "check", "phrase"), CASES)
def test_planted_bug_fails_the_right_check(
    report: dict[str, dict[str, str]], variant: str, check: str, phrase: str
) -> None:
    line = report.get(f"{variant}::{check}")
    assert line is not None, f"{variant}::{check} did not run"
    assert line["outcome"] == "failed", f"{variant} was not caught by {check}"
    assert phrase in line["detail"], f"{check} failed for another reason: {line['detail']}"


@pytest.mark.parametrize(("variant", "check"), list(STILL_PASSES.items()))
def test_unrelated_checks_still_pass(
    report: dict[str, dict[str, str]], variant: str, check: str
) -> None:
    line = report[f"{variant}::{check}"]
    assert line["outcome"] == "passed", f"{variant}: {check} {line['outcome']}: {line['detail']}"


def test_every_variant_is_exercised() -> None:
    import broken_suites  # a module object: its Test classes are not collected here
    from broken_adapters import PLANTED_MORE
    from broken_doubles import DOUBLES
    from broken_sandbox import PLANTED

    classes = [getattr(broken_suites, name) for name in CAUGHT_BY]
    assert {c.variant for c in classes} - {None} == set(PLANTED) | set(PLANTED_MORE), (
        "every planted bug needs a suite class in broken_suites.py and a row in CAUGHT_BY"
    )
    assert {c.double_variant for c in classes} - {None} == set(DOUBLES)
