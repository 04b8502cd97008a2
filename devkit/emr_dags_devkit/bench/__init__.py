"""Benchmarks and the chaos suite, side by side with the stock amazon provider (``emr-dags bench|chaos``).

``shapes`` builds the benchmark/chaos DAGs (an emr-dags pipeline and its stock-provider twin);
``apicalls`` counts AWS calls per pipeline; ``stackbench`` measures a real local stack; ``chaos``
runs pipelines under injected faults and audits AWS-side state through the emulator;
``leaky_logs`` holds failed-step logs that print a credential (the redaction tests and
``benchmarks/redaction_matrix.py``).
"""
