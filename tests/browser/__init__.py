"""The app in a real browser: headless Chromium against ``streamlit run app.py``."""
