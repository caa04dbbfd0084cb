"""The contract suite, opted into by each planted-bug variant of the sandbox adapter.

Not collected by default (the name has no ``test_`` prefix): ``test_planted_bugs.py`` runs it
in a subprocess and checks that every planted bug fails the check that should catch it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

import pytest
from broken_adapters import PLANTED_MORE
from broken_doubles import DOUBLES
from broken_sandbox import PLANTED

from interlock.plugins import AdapterSpec, get_plugin_manager
from interlock_contract import AdapterContractSuite


class BrokenSandboxSuite(AdapterContractSuite):
    """A real adapter's spec with the factory (or the double) swapped for a broken variant."""

    variant: ClassVar[str | None] = None
    double_variant: ClassVar[str | None] = None

    @pytest.fixture(scope="class")
    @classmethod
    def contract_spec(cls) -> AdapterSpec:
        name, factory = "sandbox", None
        if cls.variant in PLANTED:
            factory = PLANTED[cls.variant]
        elif cls.variant is not None:
            name, factory = PLANTED_MORE[cls.variant]
        spec = get_plugin_manager().adapter(name)
        changes: dict[str, Any] = {"factory": factory} if factory else {}
        if cls.double_variant is not None:
            changes["double_factory"] = DOUBLES[cls.double_variant]
        return replace(spec, **changes)


class TestBlindTerminateRetry(BrokenSandboxSuite):
    variant = "blind-terminate-retry"


class TestUnknownStateAsInProgress(BrokenSandboxSuite):
    variant = "unknown-state-as-in-progress"


class TestErrorIn200IsSuccess(BrokenSandboxSuite):
    variant = "error-in-200-is-success"


class TestIgnoresRetryAfter(BrokenSandboxSuite):
    variant = "ignores-retry-after"


class TestLeaksSecretInErrors(BrokenSandboxSuite):
    variant = "leaks-secret-in-errors"


class TestPagesPastTheLastPage(BrokenSandboxSuite):
    variant = "pages-past-the-last-page"


class TestClaimsNativePauseButRaises(BrokenSandboxSuite):
    variant = "claims-native-pause-but-raises"


class TestTokenPerCall(BrokenSandboxSuite):
    variant = "token-per-call"


class TestManualPauseStillCallsTheVendor(BrokenSandboxSuite):
    variant = "manual-pause-still-calls-the-vendor"


class TestReadBackAlwaysConfirms(BrokenSandboxSuite):
    variant = "read-back-always-confirms"


class TestGatewayTimeoutIsAFiveHundred(BrokenSandboxSuite):
    variant = "gateway-timeout-is-a-five-hundred"


class TestReadsOnlyRetryAfter(BrokenSandboxSuite):
    variant = "reads-only-retry-after"


class TestIgnoresDingTalksSecond(BrokenSandboxSuite):
    variant = "ignores-dingtalks-second"


class TestTrustsItsFirstRead(BrokenSandboxSuite):
    variant = "trusts-its-first-read"


class TestZipsBatchResults(BrokenSandboxSuite):
    variant = "zips-batch-results"


class TestOwnersFromTheWrongField(BrokenSandboxSuite):
    variant = "owners-from-the-wrong-field"


class TestDeadlineInTheWrongZone(BrokenSandboxSuite):
    variant = "deadline-in-the-wrong-zone"


class TestFreshKeyPerCall(BrokenSandboxSuite):
    variant = "fresh-key-per-call"


class TestFiltersOnlyOnItsSide(BrokenSandboxSuite):
    variant = "filters-only-on-its-side"


class TestDropsTheResumeDeadline(BrokenSandboxSuite):
    variant = "drops-the-resume-deadline"


class TestQuotesTheTokenRequest(BrokenSandboxSuite):
    variant = "quotes-the-token-request"


class TestBatchWithoutReadBack(BrokenSandboxSuite):
    variant = "batch-without-read-back"


class TestBatchOneCallPerItem(BrokenSandboxSuite):
    variant = "batch-one-call-per-item"


class TestConfirmsWithAFragileRead(BrokenSandboxSuite):
    variant = "confirms-with-a-fragile-read"


class TestForgetsTheRequestId(BrokenSandboxSuite):
    variant = "forgets-the-request-id"


class TestSummarisesVendorErrors(BrokenSandboxSuite):
    variant = "summarises-vendor-errors"


class TestTrustsRepeatedPushes(BrokenSandboxSuite):
    variant = "trusts-repeated-pushes"


class TestPushTimeInChinaTime(BrokenSandboxSuite):
    variant = "push-time-in-china-time"


class TestBatchStatesFromTheVerb(BrokenSandboxSuite):
    variant = "batch-states-from-the-verb"


class TestFreshBatchKeyPerCall(BrokenSandboxSuite):
    variant = "fresh-batch-key-per-call"


class TestTakesTheLifetimeForMinutes(BrokenSandboxSuite):
    variant = "takes-the-lifetime-for-minutes"


class TestPassesAnyPageSize(BrokenSandboxSuite):
    variant = "passes-any-page-size"


class TestBlamesItselfForTheVendorsFailure(BrokenSandboxSuite):
    variant = "blames-itself-for-the-vendors-failure"


class TestOneKeyForEveryItem(BrokenSandboxSuite):
    variant = "one-key-for-every-item"


class TestForgetsTheBatchRequestId(BrokenSandboxSuite):
    variant = "forgets-the-batch-request-id"


class TestPassesOnTheBareRefusal(BrokenSandboxSuite):
    variant = "passes-on-the-bare-refusal"


class TestFetchesTokensAsWrites(BrokenSandboxSuite):
    variant = "fetches-tokens-as-writes"


class TestSendsAsFastAsItCan(BrokenSandboxSuite):
    variant = "sends-as-fast-as-it-can"


class TestSuiteAppAsInternalApp(BrokenSandboxSuite):
    variant = "suite-app-as-internal-app"


class TestNamesAValueItNeverHad(BrokenSandboxSuite):
    variant = "names-a-value-it-never-had"


class TestFailedItemsUnderTheChunksKey(BrokenSandboxSuite):
    variant = "failed-items-under-the-chunks-key"


class TestRefusesBatchItemsFromItsFirstRead(BrokenSandboxSuite):
    variant = "refuses-batch-items-from-its-first-read"


class TestTakesAnUnfinishedJobForDone(BrokenSandboxSuite):
    variant = "takes-an-unfinished-job-for-done"


class TestRefusesAWholeBlockOfPadding(BrokenSandboxSuite):
    variant = "refuses-a-whole-block-of-padding"


class TestIgnoresTheUrlCheck(BrokenSandboxSuite):
    variant = "ignores-the-url-check"


class TestSendsOnlyTheReasonCode(BrokenSandboxSuite):
    variant = "sends-only-the-reason-code"


class TestReportsNoStates(BrokenSandboxSuite):
    variant = "reports-no-states"


class TestRefusesPushesWithoutSayingWhere(BrokenSandboxSuite):
    variant = "refuses-pushes-without-saying-where"


class TestKnowsOnlyTheNewQueryNames(BrokenSandboxSuite):
    variant = "knows-only-the-new-query-names"


class TestCutsTheEndToWholeSeconds(BrokenSandboxSuite):
    variant = "cuts-the-end-to-whole-seconds"


class TestDropsTheVendorsAdvice(BrokenSandboxSuite):
    variant = "drops-the-vendors-advice"


class TestRestoresWithoutReadingBack(BrokenSandboxSuite):
    variant = "restores-without-reading-back"


class TestLogsForNobody(BrokenSandboxSuite):
    variant = "logs-for-nobody"


class TestResendsWhatTheVendorCallsADuplicate(BrokenSandboxSuite):
    variant = "resends-what-the-vendor-calls-a-duplicate"


class TestLoadsAnAppSecretItCannotUse(BrokenSandboxSuite):
    variant = "loads-an-app-secret-it-cannot-use"


class TestTakesAnOldDuplicateForAlreadyThere(BrokenSandboxSuite):
    variant = "takes-an-old-duplicate-for-already-there"


class TestAlreadyDoneUnderNoKey(BrokenSandboxSuite):
    variant = "already-done-under-no-key"


class TestMasksAMissingPhone(BrokenSandboxSuite):
    variant = "masks-a-missing-phone"


class TestKeepsOnlyTheMaskedName(BrokenSandboxSuite):
    variant = "keeps-only-the-masked-name"


class TestFailsItemsWithoutTheRequestId(BrokenSandboxSuite):
    variant = "fails-items-without-the-request-id"


class TestTakesAnUnfinishedJobForAnOutage(BrokenSandboxSuite):
    variant = "takes-an-unfinished-job-for-an-outage"


class TestBlamesTheVendorForABadPageToken(BrokenSandboxSuite):
    variant = "blames-the-vendor-for-a-bad-page-token"


class TestListsAsIfItWrote(BrokenSandboxSuite):
    variant = "lists-as-if-it-wrote"


class TestConfirmsWithoutTheState(BrokenSandboxSuite):
    variant = "confirms-without-the-state"


class TestTakesSessionsItCannotReadForMissing(BrokenSandboxSuite):
    variant = "takes-sessions-it-cannot-read-for-missing"


class TestNamesTheRecordNotTheField(BrokenSandboxSuite):
    variant = "names-the-record-not-the-field"


class TestDropsTheVendorsExtras(BrokenSandboxSuite):
    variant = "drops-the-vendors-extras"


class TestFailsWhatTheAnswerLeftOut(BrokenSandboxSuite):
    variant = "fails-what-the-answer-left-out"


class TestTakesTheUnmentionedForMissing(BrokenSandboxSuite):
    variant = "takes-the-unmentioned-for-missing"


class TestReadsBackWhatTheAnswerSaid(BrokenSandboxSuite):
    variant = "reads-back-what-the-answer-said"


class TestLosesTheChunkWhenAReadBackFails(BrokenSandboxSuite):
    variant = "loses-the-chunk-when-a-read-back-fails"


class TestTakesAChangeWithoutItsStatus(BrokenSandboxSuite):
    variant = "takes-a-change-without-its-status"


class TestQuotesItsTokenToAScaffoldDouble(BrokenSandboxSuite):
    variant = "quotes-its-token"
    double_variant = "lists-only-its-credentials"


class TestRefillingBucket(BrokenSandboxSuite):
    double_variant = "refilling-bucket"


class TestIgnoresTheStateOverride(BrokenSandboxSuite):
    double_variant = "ignores-the-state-override"


class TestServesAHundredByDefault(BrokenSandboxSuite):
    variant = "serves-a-hundred-by-default"


class TestRefusesIdsOutsideItsFormat(BrokenSandboxSuite):
    variant = "refuses-ids-outside-its-format"


class TestFailsTheChunkForAForeignId(BrokenSandboxSuite):
    variant = "fails-the-chunk-for-a-foreign-id"


class TestForgetsItemKeysAfterAReadBack(BrokenSandboxSuite):
    variant = "forgets-item-keys-after-a-read-back"


class TestTakesAnAlreadyListForApplied(BrokenSandboxSuite):
    variant = "takes-an-already-list-for-applied"


class TestForgetsTheJobOfFailedItems(BrokenSandboxSuite):
    variant = "forgets-the-job-of-failed-items"


class TestTimesIsvTokensOnTheWallClock(BrokenSandboxSuite):
    variant = "times-isv-tokens-on-the-wall-clock"


class TestTakesTheVendorsNoOpForApplied(BrokenSandboxSuite):
    variant = "takes-the-vendors-no-op-for-applied"


class TestNamesNoStateForALateResume(BrokenSandboxSuite):
    variant = "names-no-state-for-a-late-resume"


class TestEndsAListingWithoutItsToken(BrokenSandboxSuite):
    variant = "ends-a-listing-without-its-token"


class TestIgnoresItsPushSecrets(BrokenSandboxSuite):
    variant = "ignores-its-push-secrets"


class TestNamesTheJobRecordNotItsField(BrokenSandboxSuite):
    variant = "names-the-job-record-not-its-field"


class TestSendsNoneForAMissingNote(BrokenSandboxSuite):
    variant = "sends-none-for-a-missing-note"


class TestCachesJobsOnTheWallClock(BrokenSandboxSuite):
    variant = "caches-jobs-on-the-wall-clock"


class TestSaysNothingOfAnUnreadableBody(BrokenSandboxSuite):
    variant = "says-nothing-of-an-unreadable-body"


class TestForgetsTheRequestIdOfABrokenPage(BrokenSandboxSuite):
    variant = "forgets-the-request-id-of-a-broken-page"
