"""What the DingTalk adapter offers beyond the interview-adapter contract.

The contract kit judges the adapter's verbs, reads, batches and pushes; the DingTalk APIs here
serve other parts of Interlock (the notification channel's work notifications) and are tested
by those parts' own tests, so ``make mutation`` leaves this package alone.
"""
