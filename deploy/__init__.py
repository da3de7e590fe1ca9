"""Serving a class: several Streamlit replicas behind nginx, run and restarted by supervisord.
``render`` writes the configuration for the chosen numbers from the templates beside it;
``stack`` starts and stops the whole set for the tests and the benchmarks."""
