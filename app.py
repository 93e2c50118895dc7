"""Entry point of the Streamlit app: `streamlit run app.py`. The pages and the sidebar are in ui/navigation.py."""

from ui.navigation import run_app

run_app()
