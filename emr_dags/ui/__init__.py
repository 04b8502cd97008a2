"""The EMR page inside Airflow's UI: FastAPI app logic (``plugins/`` only registers it)."""
