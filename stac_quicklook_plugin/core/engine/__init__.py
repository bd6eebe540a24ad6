"""The engine wing: one run's state (``run``) and its stages (search -> assess -> plan -> prefetch -> read ->
compose), and what is built of them: ``quicklook``, ``acquisitions``, ``series``."""
