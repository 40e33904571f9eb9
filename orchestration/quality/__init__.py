"""The reconciliation gate: Great Expectations checks that block publication."""
