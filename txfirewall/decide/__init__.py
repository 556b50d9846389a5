"""Decide: run the rules (``evaluate``), apply the policy and reach the verdict (``decision``)."""
